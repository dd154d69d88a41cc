# stand-in for the warmer
def handler(event=None, context=None):
    return {}
