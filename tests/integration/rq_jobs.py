"""Jobs that test_transaction_clients.py enqueues with RQ; `rq worker` imports this module."""


def add(a, b):
    return a + b


def sleep(seconds):
    """A job that runs until a worker command (stop-job, kill-horse) ends it."""
    import time
    time.sleep(seconds)
    return seconds
