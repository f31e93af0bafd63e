def main(name='World', **kwargs):
    ret = 'Hello, %s' % name
    return ret
