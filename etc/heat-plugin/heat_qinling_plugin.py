from heat_qinling.resources import resource_mapping  # noqa: F401
