"""Changes the working directory while loading, and imports a neighbour inside graph()."""

import os

os.chdir("/")


def graph():
    import neighbour_helper  # imported only now: long after loading

    return neighbour_helper.expression()
