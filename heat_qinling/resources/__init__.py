"""The Heat resource types of heat-qinling."""
from heat_qinling.resources import function
from heat_qinling.resources import webhook
# -- jobs and runtimes (issue 7) --
from heat_qinling.resources import job
from heat_qinling.resources import runtime
# -- end jobs and runtimes --

MODULES = [function, webhook]
# -- jobs and runtimes (issue 7) --
MODULES += [job, runtime]
# -- end jobs and runtimes --


def resource_mapping():
    mapping = {}
    for module in MODULES:
        mapping.update(module.resource_mapping())
    return mapping
