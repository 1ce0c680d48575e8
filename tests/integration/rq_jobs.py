"""Jobs that test_transaction_clients.py enqueues with RQ; `rq worker` imports this module."""


def add(a, b):
    return a + b
