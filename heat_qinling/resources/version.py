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

"""OS::Qinling::Version."""
from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import support

from heat_qinling import exceptions as qinling_errors
from heat_qinling.resources import base
from heat_qinling.resources import recovery
from heat_qinling.resources import target
from heat_qinling.resources import validation

VERSION_ID = 'version_id'


class QinlingVersion(target.FunctionVersionReference, base.QinlingResource):
    """An immutable version of a Qinling function's code.

    Qinling copies the function's current package into a numbered version
    (1, 2, ...). A version holds only the code: ``entry``, ``cpu``,
    ``memory_size`` and ``timeout`` are read from the function at each
    execution, so changing them changes every version.

    To publish a new version whenever the code changes, feed the function's
    package checksum to ``code_md5sum``::

      version:
        type: OS::Qinling::Version
        properties:
          function: {get_resource: fn}
          code_md5sum: {get_attr: [fn, code, md5sum]}

    A new checksum replaces the resource, that is, publishes a new version;
    the old one is deleted, or kept with ``deletion_policy: Retain`` (it then
    lives until its function is deleted). Qinling keeps at most 10 versions
    of a function, and makes a version only from code that differs from its
    latest version. A different ``description`` alone cannot be applied:
    Qinling cannot change a version.
    """

    support_status = support.SupportStatus(version='1.0.0')

    object_kind = _('Qinling function version')

    PROPERTIES = (
        FUNCTION, DESCRIPTION, CODE_MD5SUM,
    ) = (
        'function', 'description', 'code_md5sum',
    )

    ATTRIBUTES = (
        VERSION_NUMBER, FUNCTION_ID, VERSION_ID, DESCRIPTION_ATTR, COUNT,
        CREATED_AT,
    ) = (
        'version_number', 'function_id', 'version_id', 'description',
        'count', 'created_at',
    )

    properties_schema = {
        FUNCTION: properties.Schema(
            properties.Schema.STRING,
            _('Name or ID of the Qinling function (its code must come from '
              '"files", i.e. a package). Changing it replaces the '
              'version.'),
            required=True,
            constraints=[constraints.CustomConstraint('qinling.function')],
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the version. Qinling cannot change it later: '
              'an update that changes only the description fails.'),
            update_allowed=True,
            default='',
            constraints=validation.text_constraints(_('version description')),
        ),
        CODE_MD5SUM: properties.Schema(
            properties.Schema.STRING,
            _('The md5 checksum of the function package this version must '
              'hold, normally {get_attr: [<function>, code, md5sum]}. A new '
              'value publishes a new version (replacement); a value that '
              'is not the function\'s current checksum fails before '
              'publishing.'),
            constraints=[constraints.AllowedPattern(
                '^[0-9a-f]{32}$',
                description=_('An md5 checksum is 32 lowercase hexadecimal '
                              'digits.'))],
        ),
    }

    attributes_schema = {
        VERSION_NUMBER: attributes.Schema(
            _('The version number (1, 2, ...), for an alias, webhook or '
              'job.'),
            type=attributes.Schema.INTEGER),
        FUNCTION_ID: attributes.Schema(
            _('ID of the function.'), type=attributes.Schema.STRING),
        VERSION_ID: attributes.Schema(
            _('Qinling\'s ID of the version.'),
            type=attributes.Schema.STRING),
        DESCRIPTION_ATTR: attributes.Schema(
            _('Description of the version.'),
            type=attributes.Schema.STRING),
        COUNT: attributes.Schema(
            _('Number of executions of this version so far.'),
            type=attributes.Schema.INTEGER,
            cache_mode=attributes.Schema.CACHE_NONE),
        CREATED_AT: attributes.Schema(
            _('When the version was published (UTC).'),
            type=attributes.Schema.STRING),
    }

    # resource_id is "<function id>/<version number>"; Qinling reuses a
    # number after a delete, so the version's own ID is kept in data too.

    def _ids(self, resource_id=None):
        resource_id = resource_id or self.resource_id
        function_id, _sep, number = resource_id.rpartition('/')
        return function_id, int(number)

    def _check_function(self, function_id, md5sum):
        function = self.client().functions.get(function_id)
        code = function.code or {}
        if code.get('source') != 'package':
            raise self.property_error(
                self.FUNCTION,
                _('Qinling versions only functions whose code is a package '
                  '("files"); function %(function)s has "%(source)s" code.')
                % {'function': function_id, 'source': code.get('source')})
        if md5sum and md5sum != code.get('md5sum'):
            raise self.property_error(
                self.CODE_MD5SUM,
                _('The function\'s package has md5 %(live)s, not '
                  '%(wanted)s: the version would not hold the code you '
                  'expect. Feed code_md5sum from {get_attr: [<function>, '
                  'code, md5sum]}, or update the function first.') % {
                    'live': code.get('md5sum'), 'wanted': md5sum})

    def validate_values(self):
        function = self.properties[self.FUNCTION]
        # A function of this stack may not be there yet, or have other code
        # when this template's is uploaded: checked before the write.
        if function and self.function_made_by_stack() is None:
            self._check_function(
                self.client_plugin().get_function_id(function),
                self.properties[self.CODE_MD5SUM])

    def handle_create(self):
        function_id = self.properties[self.FUNCTION]
        self._check_function(function_id, self.properties[self.CODE_MD5SUM])
        plugin = self.client_plugin()
        versions = plugin.list_versions(function_id)
        # Qinling numbers versions itself; what is new after an interrupted
        # create is the version this resource made.
        self.create_sending({'function_id': function_id,
                             'known': sorted(v.id for v in versions)})
        try:
            version = plugin.create_version(
                function_id, self.properties[self.DESCRIPTION],
                versions=versions)
        except (qinling_errors.TooManyVersions,
                qinling_errors.CodeUnchanged):
            # Qinling made nothing. When the code is the latest version's,
            # that version may be what an interrupted create of this
            # resource made (Heat replaces such a resource before the
            # plugin can take its object back): take it.
            self.data_delete(recovery.CREATE_SENT)
            if self.take_back_from_siblings() is None:
                raise
            return
        except Exception as ex:
            self.create_rejected(ex)
            raise
        self.resource_id_set('%s/%s' % (function_id, version.version_number))
        self.data_set(VERSION_ID, version.id)

    def find_created(self, marker):
        function_id = marker['function_id']
        try:
            versions = self.client_plugin().list_versions(function_id)
        except Exception as ex:
            if self.client_plugin().is_not_found(ex):
                return None  # gone with its function
            raise
        new = [v for v in versions if v.id not in marker['known']]
        if len(new) != 1:
            return None
        self.data_set(VERSION_ID, new[0].id)
        return '%s/%s' % (function_id, new[0].version_number)

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if self.DESCRIPTION in prop_diff:
            raise exception.Error(_(
                'Qinling cannot change the description of a function '
                'version. Put back the previous description, or change '
                'the code (and code_md5sum) to publish a new version with '
                'the new one.'))

    def _live(self, resource_id=None):
        """The version, or NotFound when its number now names another."""
        function_id, number = self._ids(resource_id)
        version = self.client_plugin().get_version(function_id, number)
        created = self.data().get(VERSION_ID)
        if created and version.id != created:
            raise exception.EntityNotFound(
                entity=_('Qinling function version'),
                name=_('%(function)s/%(number)s with ID %(id)s (it was '
                       'deleted outside Heat; Qinling gave its number to '
                       'version %(new)s)') % {
                    'function': function_id, 'number': number,
                    'id': created, 'new': version.id})
        return version

    def show_object(self, object_id):
        return self._live(object_id)

    def handle_delete(self):
        if self.recover_resource_id() is None:
            return
        # Gone: with its function, or deleted and its number reused by
        # someone else's version, which must not be deleted.
        if self.gone():
            return
        with self.client_plugin().ignore_not_found:
            self.client_plugin().delete_version(*self._ids())

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        if name == self.VERSION_NUMBER:
            return self._ids()[1]
        if name == self.FUNCTION_ID:
            return self._ids()[0]
        version = self._live()
        if name == self.VERSION_ID:
            return version.id
        return getattr(version, name, None)

    def _show_resource(self):
        return self._live().to_dict()

    def parse_live_resource_data(self, resource_properties, resource_data):
        return {
            self.FUNCTION: resource_data.get('function_id'),
            self.DESCRIPTION: resource_data.get('description') or '',
            self.CODE_MD5SUM: resource_properties.get(self.CODE_MD5SUM),
        }


def resource_mapping():
    return {'OS::Qinling::Version': QinlingVersion}
