"""graph() raises a bare BaseException."""


def graph():
    raise BaseException("not an Exception at all")
