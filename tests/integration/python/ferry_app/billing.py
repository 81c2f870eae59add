"""The code that fails; the exception is raised two frames below the caller."""


def _validate(amount):
    if amount > 100:
        raise ValueError("cannot charge %d cents" % amount)
    return amount


def charge(amount):
    total = _validate(amount)
    return total * 2
