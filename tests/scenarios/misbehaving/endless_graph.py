"""graph() never returns, and swallows every KeyboardInterrupt it can."""


def graph():
    while True:
        try:
            pass
        except BaseException:
            pass
