#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""OS::Qinling::Runtime."""
from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import properties
from heat.engine import support

from heat_qinling import exceptions as qinling_errors
from heat_qinling.resources import base
from heat_qinling.resources import heat_internals
from heat_qinling.resources import validation

RESOURCE_TYPE = 'OS::Qinling::Runtime'


class QinlingRuntime(base.QinlingResource):
    """A Qinling runtime: the container image that runs functions' code.

    Admin only. Qinling allows only admins to create, change or delete
    runtimes, and the plugin registers the Heat policy default that refuses
    the type to other users, as Heat does for ``OS::Nova::Flavor``. An
    operator may override it in Heat's policy file, e.g.::

      "resource_types:OS::Qinling::Runtime": "role:admin"

    Creating a runtime and changing its ``image`` complete once Qinling
    reports the runtime ``available``; a runtime that goes to ``error``, or
    an image Qinling rolls back, fails the resource. ``name``,
    ``description`` and ``image`` change in place; ``is_public`` and
    ``trusted`` replace the runtime. Qinling 5.0.0 cannot change the image
    of a runtime that has functions, and cannot delete such a runtime: both
    fail naming the functions the caller can see.
    """

    support_status = support.SupportStatus(version='1.0.0')

    entity = 'runtimes'

    object_kind = _('Qinling runtime')

    PROPERTIES = (
        NAME, DESCRIPTION, IMAGE, IS_PUBLIC, TRUSTED,
    ) = (
        'name', 'description', 'image', 'is_public', 'trusted',
    )

    ATTRIBUTES = (
        STATUS_ATTR, NAME_ATTR, IMAGE_ATTR, IS_PUBLIC_ATTR, TRUSTED_ATTR,
        PROJECT_ID_ATTR,
    ) = (
        'status', 'name', 'image', 'is_public', 'trusted', 'project_id',
    )

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the runtime, which functions may use instead of its '
              'ID: unique among the runtimes the project sees. Defaults to '
              'a name Heat generates.'),
            update_allowed=True,
            constraints=validation.text_constraints(_('runtime name')),
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the runtime.'),
            update_allowed=True,
            default='',
            constraints=validation.text_constraints(
                _('runtime description')),
        ),
        IMAGE: properties.Schema(
            properties.Schema.STRING,
            _('Container image of the runtime, e.g. '
              '"openstackqinling/python3-runtime". Changes in place, only '
              'while no function uses the runtime.'),
            required=True,
            update_allowed=True,
            constraints=validation.text_constraints(_('runtime image'),
                                                    required=True),
        ),
        IS_PUBLIC: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Whether every project may use the runtime (otherwise only '
              'the owning project). Changing it replaces the runtime.'),
            default=True,
        ),
        TRUSTED: properties.Schema(
            properties.Schema.BOOLEAN,
            _('False runs functions in Qinling\'s sandboxed (untrusted) '
              'workload type. Changing it replaces the runtime.'),
            default=True,
        ),
    }

    attributes_schema = {
        STATUS_ATTR: attributes.Schema(
            _('Status: creating, available, upgrading, error or deleting.'),
            type=attributes.Schema.STRING,
            cache_mode=attributes.Schema.CACHE_NONE),
        NAME_ATTR: attributes.Schema(
            _('Name of the runtime.'), type=attributes.Schema.STRING),
        IMAGE_ATTR: attributes.Schema(
            _('Container image of the runtime.'),
            type=attributes.Schema.STRING),
        IS_PUBLIC_ATTR: attributes.Schema(
            _('Whether every project may use the runtime.'),
            type=attributes.Schema.BOOLEAN),
        TRUSTED_ATTR: attributes.Schema(
            _('Whether functions run in the trusted workload type.'),
            type=attributes.Schema.BOOLEAN),
        PROJECT_ID_ATTR: attributes.Schema(
            _('ID of the project that owns the runtime.'),
            type=attributes.Schema.STRING),
    }

    def _name(self, props):
        return props[self.NAME] or self.physical_resource_name()

    def _check_name_free(self, name, own_id):
        """Refuse a name another runtime already has.

        Qinling accepts it, and then every template that names the runtime
        (python3 in most) fails, as the name no longer says which one.
        """
        if not name:
            return
        others = sorted(r.id for r in self.client().runtimes.list()
                        if r.name == name and r.id != own_id)
        if others:
            raise self.property_error(
                self.NAME,
                _('Qinling runtime %(others)s is already named "%(name)s"; a '
                  'second runtime of that name would make every function '
                  'that names its runtime "%(name)s" ambiguous. Choose '
                  'another name, or leave "name" out for one Heat '
                  'generates.') % {'others': ', '.join(others),
                                   'name': name})

    def validate_values(self):
        self._check_name_free(
            self.properties[self.NAME],
            heat_internals.stored_physical_id(self.stack, self.name))

    def handle_create(self):
        props = self.properties
        name = self._name(props)
        self._check_name_free(props[self.NAME], None)
        # The name was free (a generated one is unique): it finds the
        # runtime again if the engine dies before it stores the ID.
        self.create_sending({'name': name})
        try:
            runtime = self.client().runtimes.create(
                image=props[self.IMAGE], name=name,
                description=props[self.DESCRIPTION] or None,
                is_public=props[self.IS_PUBLIC], trusted=props[self.TRUSTED])
        except Exception as ex:
            self.create_rejected(ex)
            raise
        self.resource_id_set(runtime.id)
        return runtime.id

    def find_created(self, marker):
        found = [r.id for r in self.client().runtimes.list()
                 if r.name == marker['name']]
        return found[0] if len(found) == 1 else None

    def show_object(self, object_id):
        return self.client().runtimes.get(object_id)

    def broken_reason(self, runtime):
        if runtime.status == 'error':
            return _('runtime %s is in status error') % runtime.id
        return None

    def _available(self, image):
        runtime = self.client().runtimes.get(self.resource_id)
        if runtime.status == 'error':
            # Not ResourceInError: Heat would retry the create, and the
            # same image fails the same way.
            raise exception.Error(
                _('Runtime %(id)s went to status error: Qinling could not '
                  'set up image %(image)s; see the qinling-engine log.') % {
                    'id': runtime.id, 'image': runtime.image})
        if runtime.status != 'available':
            return False
        if runtime.image != image:
            # Qinling's engine puts the previous image back when the new
            # one fails, and reports the runtime available again.
            raise exception.Error(
                _('Qinling could not switch runtime %(id)s to image '
                  '%(new)s and kept %(old)s; see the qinling-engine log.') % {
                    'id': runtime.id, 'new': image, 'old': runtime.image})
        return True

    def check_create_complete(self, runtime_id):
        return self._available(self.properties[self.IMAGE])

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return None
        after = json_snippet.properties(self.properties_schema, self.context)
        fields = {}
        if self.NAME in prop_diff:
            self._check_name_free(after[self.NAME], self.resource_id)
            fields['name'] = self._name(after)
        if self.DESCRIPTION in prop_diff:
            fields['description'] = after[self.DESCRIPTION]
        if self.IMAGE in prop_diff:
            fields['image'] = after[self.IMAGE]
            # Qinling refuses (or, in 5.0.0, answers 404 naming a function)
            # while functions use the runtime; say so before writing.
            holders = self.client_plugin().holders(
                (self.client_plugin().FUNCTIONS,),
                runtime_id=self.resource_id)
            if holders:
                raise qinling_errors.RuntimeInUse(
                    runtime=self.resource_id, holders=holders,
                    action=_('given a new image'),
                    detail=_('Nothing was changed.'))
        try:
            self.client_plugin().update_runtime(self.resource_id, **fields)
        except Exception as ex:
            self.replace_if_gone(ex)
            raise
        return fields.get('image')

    def check_update_complete(self, image):
        if image is None:
            return True
        return self._available(image)

    def handle_delete(self):
        if self.recover_resource_id() is None:
            return None
        with self.client_plugin().ignore_not_found:
            self.client_plugin().delete_runtime(self.resource_id)
            return self.resource_id
        return None

    def check_delete_complete(self, runtime_id):
        if runtime_id is None:
            return True
        with self.client_plugin().ignore_not_found:
            self.client().runtimes.get(runtime_id)
            return False
        return True

    def check_object(self, runtime):
        if runtime.status != 'available':
            raise exception.Error(
                _('Runtime %(id)s is "%(status)s", not "available": '
                  'functions on it cannot run.') % {
                    'id': runtime.id, 'status': runtime.status})

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        return getattr(self.client().runtimes.get(self.resource_id), name,
                       None)

    def parse_live_resource_data(self, resource_properties, resource_data):
        live = {
            self.DESCRIPTION: resource_data.get('description') or '',
            self.IMAGE: resource_data.get('image'),
            self.IS_PUBLIC: resource_data.get('is_public'),
            self.TRUSTED: resource_data.get('trusted'),
        }
        if resource_properties.get(self.NAME) is not None:
            live[self.NAME] = resource_data.get('name')
        return live


def resource_mapping():
    # Heat reads the mapping when it loads the plugin, before it registers
    # its policy defaults: the type's admin-only default joins them.
    heat_internals.register_admin_only_type(RESOURCE_TYPE)
    return {RESOURCE_TYPE: QinlingRuntime}
