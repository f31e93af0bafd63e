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

"""OS::Qinling::Function."""
from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import support
from heat.engine import translation

from heat_qinling import package
from heat_qinling.resources import base
from heat_qinling.resources import heat_internals
from heat_qinling.resources import validation

# Qinling's [resource_limits] defaults, in Qinling's own units.
CPU_MIN, CPU_MAX, CPU_DEFAULT = 100, 300, 100                 # millicpu
MEMORY_MIN, MEMORY_MAX = 33554432, 134217728                  # bytes
MEMORY_DEFAULT = MEMORY_MIN
TIMEOUT_MIN, TIMEOUT_MAX, TIMEOUT_DEFAULT = 1, 300, 5         # seconds


class QinlingFunction(base.QinlingResource):
    """A Qinling function: code that Qinling runs on demand.

    The code comes from exactly one source:

    * ``files``: a map of relative path to file text, typically
      ``{hello_world.py: {get_file: functions/hello_world.py}}``. Heat builds
      the zip package itself, deterministically, so the same files always
      give the same package.
    * ``swift``: an object in Swift (``container`` and ``object``).
    * ``image``: a container image (no ``runtime`` or ``entry``).

    Updates keep the function ID, so webhooks and their URLs stay valid:
    ``name``, ``description``, ``entry``, ``cpu``, ``memory_size``,
    ``timeout`` and the code content (``files`` or ``swift``) change in
    place. A different ``runtime``, a switch to another code source or a new
    ``image`` replaces the function.

    Deleting a function that something outside the stack still uses (a
    webhook, an alias or a running job) fails and names what holds it, e.g.
    ``Qinling function <id> is still in use by alias(es) prod, so it cannot
    be deleted.`` A function that is already gone counts as deleted.

    ``openstack stack check`` fails if the function is gone or its runtime is
    not ``available``. Observing reality (``stack update --converge``) sees
    changes made outside Heat to the limits, description, entry and code (a
    package changed outside Heat is read back as a ``files`` map).
    """

    support_status = support.SupportStatus(version='1.0.0')

    entity = 'functions'

    object_kind = _('Qinling function')

    PROPERTIES = (
        NAME, DESCRIPTION, RUNTIME, ENTRY, CPU, MEMORY_SIZE, TIMEOUT,
        FILES, SWIFT, IMAGE,
    ) = (
        'name', 'description', 'runtime', 'entry', 'cpu', 'memory_size',
        'timeout', 'files', 'swift', 'image',
    )

    CODE_SOURCES = (FILES, SWIFT, IMAGE)

    _SWIFT_KEYS = (SWIFT_CONTAINER, SWIFT_OBJECT) = ('container', 'object')

    resolved_properties = (RUNTIME,)

    ATTRIBUTES = (
        NAME_ATTR, DESCRIPTION_ATTR, RUNTIME_ID_ATTR, ENTRY_ATTR, CODE_ATTR,
        COUNT_ATTR, LATEST_VERSION_ATTR, CPU_ATTR, MEMORY_SIZE_ATTR,
        TIMEOUT_ATTR, PROJECT_ID_ATTR,
    ) = (
        'name', 'description', 'runtime_id', 'entry', 'code',
        'count', 'latest_version', 'cpu', 'memory_size',
        'timeout', 'project_id',
    )

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the function, unique in the project (templates find '
              'a function by name). Defaults to a name Heat generates.'),
            update_allowed=True,
            constraints=validation.text_constraints(_('function name')),
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the function.'),
            update_allowed=True,
            default='',
            constraints=validation.text_constraints(
                _('function description')),
        ),
        RUNTIME: properties.Schema(
            properties.Schema.STRING,
            _('Name or ID of the Qinling runtime that runs the code. '
              'Required with "files" or "swift"; not used with "image". '
              'Changing it replaces the function.'),
            constraints=[constraints.CustomConstraint('qinling.runtime')],
        ),
        ENTRY: properties.Schema(
            properties.Schema.STRING,
            _('The function to call, as "module.function", e.g. '
              '"hello_world.main". With "files", the module must be one of '
              'the files. Not used with "image".'),
            update_allowed=True,
            default='main.main',
        ),
        CPU: properties.Schema(
            properties.Schema.INTEGER,
            _('CPU limit in millicpu.'),
            update_allowed=True,
            default=CPU_DEFAULT,
            constraints=[constraints.Range(min=CPU_MIN, max=CPU_MAX)],
        ),
        MEMORY_SIZE: properties.Schema(
            properties.Schema.INTEGER,
            _('Memory limit in bytes (33554432 is 32 MiB).'),
            update_allowed=True,
            default=MEMORY_DEFAULT,
            constraints=[constraints.Range(min=MEMORY_MIN, max=MEMORY_MAX)],
        ),
        TIMEOUT: properties.Schema(
            properties.Schema.INTEGER,
            _('Seconds an execution may run before it is stopped.'),
            update_allowed=True,
            default=TIMEOUT_DEFAULT,
            constraints=[constraints.Range(min=TIMEOUT_MIN,
                                           max=TIMEOUT_MAX)],
        ),
        FILES: properties.Schema(
            properties.Schema.MAP,
            _('The code, as a map of relative file path to file content, '
              'e.g. {hello_world.py: {get_file: hello_world.py}}. Heat '
              'packages it as a zip. One of "files", "swift" or "image".'),
            update_allowed=True,
        ),
        SWIFT: properties.Schema(
            properties.Schema.MAP,
            _('The code package (a zip) as a Swift object. One of "files", '
              '"swift" or "image".'),
            update_allowed=True,
            schema={
                SWIFT_CONTAINER: properties.Schema(
                    properties.Schema.STRING,
                    _('Swift container holding the package.'),
                    required=True,
                    constraints=[constraints.Length(min=1)],
                ),
                SWIFT_OBJECT: properties.Schema(
                    properties.Schema.STRING,
                    _('Swift object name of the package.'),
                    required=True,
                    constraints=[constraints.Length(min=1)],
                ),
            },
        ),
        IMAGE: properties.Schema(
            properties.Schema.STRING,
            _('A container image that serves the function. One of "files", '
              '"swift" or "image". Changing it replaces the function.'),
            constraints=[constraints.Length(min=1)],
        ),
    }

    attributes_schema = {
        NAME_ATTR: attributes.Schema(
            _('Name of the function.'), type=attributes.Schema.STRING),
        DESCRIPTION_ATTR: attributes.Schema(
            _('Description of the function.'),
            type=attributes.Schema.STRING),
        RUNTIME_ID_ATTR: attributes.Schema(
            _('ID of the runtime.'), type=attributes.Schema.STRING),
        ENTRY_ATTR: attributes.Schema(
            _('The function called, as "module.function".'),
            type=attributes.Schema.STRING),
        CODE_ATTR: attributes.Schema(
            _('The code source as Qinling stores it, e.g. {"source": '
              '"package", "md5sum": ...}.'),
            type=attributes.Schema.MAP),
        COUNT_ATTR: attributes.Schema(
            _('Number of executions of the function so far.'),
            type=attributes.Schema.INTEGER,
            cache_mode=attributes.Schema.CACHE_NONE),
        LATEST_VERSION_ATTR: attributes.Schema(
            _('Highest version number of the function (0 when none).'),
            type=attributes.Schema.INTEGER,
            cache_mode=attributes.Schema.CACHE_NONE),
        CPU_ATTR: attributes.Schema(
            _('CPU limit in millicpu.'), type=attributes.Schema.INTEGER),
        MEMORY_SIZE_ATTR: attributes.Schema(
            _('Memory limit in bytes.'), type=attributes.Schema.INTEGER),
        TIMEOUT_ATTR: attributes.Schema(
            _('Execution timeout in seconds.'),
            type=attributes.Schema.INTEGER),
        PROJECT_ID_ATTR: attributes.Schema(
            _('ID of the project that owns the function.'),
            type=attributes.Schema.STRING),
    }

    def translation_rules(self, props):
        return [
            translation.TranslationRule(
                props,
                translation.TranslationRule.RESOLVE,
                [self.RUNTIME],
                client_plugin=self.client_plugin(),
                finder='resolve_runtime_id'),
        ]

    # Validation ----------------------------------------------------------

    def _code_sources_given(self, props):
        return [s for s in self.CODE_SOURCES if props.get(s) is not None]

    def _code_source(self, props=None):
        props = self.properties if props is None else props
        given = self._code_sources_given(props)
        return given[0] if len(given) == 1 else None

    def _check_name_free(self, name, own_id):
        """Refuse a name another function of the project already has.

        Qinling accepts it, and then every template that names either
        function fails, as the name no longer says which one it means.
        """
        if not name:
            return
        others = sorted(f.id for f in self.client().functions.list()
                        if f.name == name and f.id != own_id)
        if others:
            raise self.property_error(
                self.NAME,
                _('Qinling function %(others)s is already named "%(name)s"; '
                  'a second function of that name would make every '
                  'reference to the name ambiguous. Choose another name, '
                  'or leave "name" out for one Heat generates.') % {
                    'others': ', '.join(others), 'name': name})

    def validate_values(self):
        self._check_name_free(
            self.properties[self.NAME],
            heat_internals.stored_physical_id(self.stack, self.name))
        given = self._code_sources_given(self.properties)
        if len(given) != 1:
            raise exception.StackValidationFailed(
                resource=self,
                message=_('Give exactly one code source: one of "files", '
                          '"swift" or "image" (got %s).') %
                (', '.join('"%s"' % s for s in given) or _('none')))
        source = given[0]
        runtime = self.properties[self.RUNTIME]
        if source == self.IMAGE:
            if runtime is not None:
                raise self.property_error(
                    self.RUNTIME,
                    _('"runtime" is not used with "image": the image itself '
                      'serves the function. Remove "runtime".'))
            return
        if runtime is None:
            raise self.property_error(
                self.RUNTIME,
                _('"runtime" is required with "%s": give the name or ID of '
                  'a Qinling runtime, e.g. python3.') % source)
        entry = self.properties[self.ENTRY]
        try:
            package.validate_entry(entry)
        except package.InvalidPackage as ex:
            raise self.property_error(self.ENTRY, str(ex))
        if source == self.FILES:
            files = self.properties[self.FILES]
            try:
                package.validate_files(files)
            except package.InvalidPackage as ex:
                raise self.property_error(self.FILES, str(ex))
            try:
                package.validate_entry_in_files(entry, files)
            except package.InvalidPackage as ex:
                raise self.property_error(self.ENTRY, str(ex))

    # Create / update / delete ------------------------------------------

    def _code(self, props=None):
        """The ``code`` field and the package bytes for the code source."""
        props = self.properties if props is None else props
        source = self._code_source(props)
        if source == self.FILES:
            data = package.build_zip(props[self.FILES])
            return ({'source': 'package', 'md5sum': package.md5sum(data)},
                    data)
        if source == self.SWIFT:
            return {'source': 'swift', 'swift': dict(props[self.SWIFT])}, None
        return {'source': 'image', 'image': props[self.IMAGE]}, None

    def handle_create(self):
        code, data = self._code()
        fields = {
            'name': (self.properties[self.NAME] or
                     self.physical_resource_name()),
            'description': self.properties[self.DESCRIPTION],
            'cpu': self.properties[self.CPU],
            'memory_size': self.properties[self.MEMORY_SIZE],
            'timeout': self.properties[self.TIMEOUT],
        }
        if code['source'] != 'image':
            fields['runtime'] = self.properties[self.RUNTIME]
            fields['entry'] = self.properties[self.ENTRY]
        self._check_name_free(self.properties[self.NAME], None)
        # No other function of the project has the name (a generated one
        # is unique): it finds the function again if the engine dies before
        # it stores the ID.
        self.create_sending({'name': fields['name']})
        try:
            function = self.client_plugin().create_function(
                code=code, package=data, **fields)
        except Exception as ex:
            self.create_rejected(ex)
            raise
        self.resource_id_set(function.id)

    def find_created(self, marker):
        # The list holds the functions of the stack's project only.
        found = [f.id for f in self.client().functions.list()
                 if f.name == marker['name']]
        return found[0] if len(found) == 1 else None

    def show_object(self, object_id):
        return self.client().functions.get(object_id)

    def needs_replace_with_prop_diff(self, changed_properties_set,
                                     after_props, before_props):
        if super().needs_replace_with_prop_diff(
                changed_properties_set, after_props, before_props):
            return True
        return self._code_source(after_props) != self._code_source(
            before_props)

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        after = json_snippet.properties(self.properties_schema, self.context)
        fields = {}
        for prop in (self.DESCRIPTION, self.ENTRY, self.CPU,
                     self.MEMORY_SIZE, self.TIMEOUT):
            if prop in prop_diff:
                fields[prop] = after[prop]
        if self.NAME in prop_diff:
            self._check_name_free(after[self.NAME], self.resource_id)
            fields[self.NAME] = (after[self.NAME] or
                                 self.physical_resource_name())
        try:
            self._update(after, fields, prop_diff)
        except Exception as ex:
            self.replace_if_gone(ex)
            raise

    def _update(self, after, fields, prop_diff):
        code = data = None
        if self.FILES in prop_diff or self.SWIFT in prop_diff:
            code, data = self._code(after)
            live = self.client().functions.get(self.resource_id).code
            if code == live:
                # Qinling rejects an upload of the package it already has.
                code = data = None
        if fields or code:
            self.client_plugin().update_function(
                self.resource_id, code=code, package=data, **fields)

    def handle_delete(self):
        if self.recover_resource_id() is None:
            return
        # Qinling deletes the function (and its trust) before it answers;
        # only its workers go afterwards, and nothing reads them.
        with self.client_plugin().ignore_not_found:
            self.client_plugin().delete_function(self.resource_id)

    def check_object(self, function):
        if function.code.get('source') == 'image':
            return
        runtime = self.client().runtimes.get(function.runtime_id)
        if runtime.status != 'available':
            raise exception.Error(
                _('Runtime %(runtime)s of function %(function)s is '
                  '"%(status)s", not "available": executions will fail.') % {
                    'runtime': runtime.id, 'function': function.id,
                    'status': runtime.status})

    # Observation -------------------------------------------------------

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        function = self.client().functions.get(self.resource_id)
        return getattr(function, name, None)

    def parse_live_resource_data(self, resource_properties, resource_data):
        live = {
            self.DESCRIPTION: resource_data.get('description') or '',
            self.CPU: resource_data.get('cpu'),
            self.MEMORY_SIZE: resource_data.get('memory_size'),
            self.TIMEOUT: resource_data.get('timeout'),
        }
        if resource_properties.get(self.NAME) is not None:
            live[self.NAME] = resource_data.get('name')
        code = resource_data.get('code') or {}
        if code.get('source') == 'package':
            live[self.ENTRY] = resource_data.get('entry')
            files = self._live_files(resource_properties, code)
            if files is not None:
                live[self.FILES] = files
        elif code.get('source') == 'swift':
            live[self.ENTRY] = resource_data.get('entry')
            live[self.SWIFT] = dict(code.get('swift') or {})
        return live

    def _live_files(self, resource_properties, code):
        files = resource_properties.get(self.FILES)
        if files and code.get('md5sum') == package.md5sum(
                package.build_zip(files)):
            return files
        # The package changed outside Heat: read what is there now.
        return package.read_zip(
            self.client_plugin().download_function(self.resource_id))


def resource_mapping():
    return {'OS::Qinling::Function': QinlingFunction}
