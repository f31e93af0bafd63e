"""A local cloud of real OpenStack services on 127.0.0.1 for the demo and end-to-end tests.

Never imported by heat_qinling. Entry point: ``tools/localcloud`` -> ``localcloud.cli``.
"""
