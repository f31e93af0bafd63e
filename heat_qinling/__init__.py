"""Heat resources for OpenStack Qinling (Function as a Service)."""
