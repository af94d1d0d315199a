"""The scenarios bundled with mgtui: the lecture's worked examples and micrograd's moons demo.

Each file is a plain scenario a teacher can copy and edit (run ``mgtui --list`` to see them).
"""
