from mgtui.cli import run

run()
