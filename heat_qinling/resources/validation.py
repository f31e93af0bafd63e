"""Property values checked by ``template validate`` too.

Heat's template validation (``openstack orchestration template validate``)
checks only the structure of the properties, not their values: it may run
before the caller has given the parameters. So a cpu of 9999, an entry naming
a missing module or an unknown runtime would pass it and fail only at create.
When every parameter has a value (a default, or one given with
``--parameter``), nothing is unknown, and the resources here check the values
as well, reading Qinling at most (never writing).
"""
from heat.common import exception
from heat.engine import rsrc_defn


class ValuesValidatedEarly(object):
    """Mixin for a Resource: run its value checks in template validation."""

    def validate_values(self):
        """Resource-specific checks of the property values."""

    def property_error(self, prop, message):
        return exception.StackValidationFailed(
            error='Property error',
            path=[self.stack.t.RESOURCES, self.name,
                  self.stack.t.get_section_name(rsrc_defn.PROPERTIES), prop],
            message=message)

    def validate(self):
        super(ValuesValidatedEarly, self).validate()
        self.validate_values()

    def validate_template(self):
        result = super(ValuesValidatedEarly, self).validate_template()
        # A stack's own validation (create, preview) already checks values.
        if not self.stack.strict_validate and self._parameters_known():
            try:
                self.properties.validate(with_value=True)
            except exception.StackValidationFailed as ex:
                path = [self.stack.t.RESOURCES, self.name]
                if ex.path:
                    path.append(self.stack.t.get_section_name(ex.path[0]))
                    path.extend(ex.path[1:])
                raise exception.StackValidationFailed(
                    error=ex.error, path=path, message=ex.error_message)
            self.validate_values()
        return result

    def _parameters_known(self):
        # A nested stack (a provider template such as a trigger) gets its
        # parameters from the parent's properties, where a reference to a
        # resource not created yet ({get_resource: function}) stands as the
        # resource's name. Its values are checked when it is created.
        if self.stack.parent_resource_name:
            return False
        return all(param.has_value()
                   for param in self.stack.parameters.params.values())
