"""The Heat resource types of heat-qinling."""
from heat_qinling.resources import function
from heat_qinling.resources import webhook
# Versions and aliases (issue 7)
from heat_qinling.resources import alias
from heat_qinling.resources import version


def resource_mapping():
    mapping = {}
    for module in (function, webhook,
                   alias, version):  # versions and aliases (issue 7)
        mapping.update(module.resource_mapping())
    return mapping
