"""The Heat resource types of heat-qinling."""
from heat_qinling.resources import function
from heat_qinling.resources import webhook


def resource_mapping():
    mapping = {}
    for module in (function, webhook):
        mapping.update(module.resource_mapping())
    return mapping
