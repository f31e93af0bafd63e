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

"""OS::Qinling::Webhook."""
from urllib import parse

from oslo_log import log as logging

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import properties
from heat.engine import support

from heat_qinling.resources import base
from heat_qinling.resources import heat_internals
from heat_qinling.resources import target
from heat_qinling.resources import validation

LOG = logging.getLogger(__name__)


class QinlingWebhook(target.FunctionTarget, base.QinlingResource):
    """A Qinling webhook: an unauthenticated URL that runs a function.

    A POST of a JSON object to ``webhook_url`` runs the function
    asynchronously, with the object's keys as keyword arguments. Anyone who
    knows the URL can call it: treat it as a secret.

    To run a function when the cloud emits an event, put the URL in the
    ``alarm_actions`` of an ``OS::Aodh::EventAlarm`` in the same stack, in
    either of two ways::

      alarm_actions: [{get_attr: [hook, webhook_url]}]

    or name the webhook resource itself, which Heat resolves through its
    ``AlarmUrl`` attribute. A bare name creates no dependency, so add
    ``depends_on: [hook]`` to the alarm in that form::

      alarm_actions: [hook]

    Instead of a ``function`` (and ``function_version``), a webhook can run
    a ``function_alias``: Qinling resolves the alias at each call, so moving
    the alias to another version changes the code the URL runs.

    Every property is updated in place, including a switch between
    ``function`` and ``function_alias``: the webhook ID, and so its URL, stay
    the same. ``openstack stack check`` fails if the webhook or the
    function, alias or version it runs is gone.
    """

    support_status = support.SupportStatus(version='1.0.0')

    entity = 'webhooks'

    object_kind = _('Qinling webhook')

    PROPERTIES = (
        FUNCTION, FUNCTION_VERSION, DESCRIPTION, FUNCTION_ALIAS,
    ) = (
        'function', 'function_version', 'description', 'function_alias',
    )

    ATTRIBUTES = (
        WEBHOOK_URL, FUNCTION_ID, FUNCTION_VERSION_ATTR, ALARM_URL,
        FUNCTION_ALIAS_ATTR,
    ) = (
        'webhook_url', 'function_id', 'function_version', 'AlarmUrl',
        'function_alias',
    )

    properties_schema = dict(target.target_schema(
        function=_('Name or ID of the Qinling function the webhook runs. '
                   'Give either this or "function_alias".'),
        function_version=_('Version of the function to run; 0 runs the '
                           'latest code. Only with "function".'),
        function_alias=_('Name of a Qinling function alias to run instead '
                         'of a "function": the webhook follows the alias '
                         'when it moves.'),
        update_allowed=True), **{
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the webhook.'),
            update_allowed=True,
            default='',
            constraints=validation.text_constraints(
                _('webhook description')),
        ),
    })

    attributes_schema = {
        WEBHOOK_URL: attributes.Schema(
            _('The URL that runs the function when POSTed to. It needs no '
              'credentials: keep it secret.'),
            type=attributes.Schema.STRING),
        FUNCTION_ID: attributes.Schema(
            _('ID of the function the webhook runs.'),
            type=attributes.Schema.STRING),
        FUNCTION_VERSION_ATTR: attributes.Schema(
            _('Version of the function the webhook runs.'),
            type=attributes.Schema.INTEGER),
        FUNCTION_ALIAS_ATTR: attributes.Schema(
            _('Name of the alias the webhook runs, if any.'),
            type=attributes.Schema.STRING),
        ALARM_URL: attributes.Schema(
            _('The webhook URL, for alarms that name this resource in their '
              'actions.'),
            type=attributes.Schema.STRING,
            support_status=support.SupportStatus(status=support.HIDDEN)),
    }

    def validate_values(self):
        self.validate_target()

    def _body(self, props):
        if props[self.FUNCTION_ALIAS]:
            return {'function_alias': props[self.FUNCTION_ALIAS],
                    'description': props[self.DESCRIPTION]}
        # function_version is always sent: a webhook stored without one
        # makes every invoke fail with a 500.
        return {
            'function_id': props[self.FUNCTION],
            'function_version': props[self.FUNCTION_VERSION],
            'description': props[self.DESCRIPTION],
        }

    # Create / update / delete ------------------------------------------

    def handle_create(self):
        body = self._body(self.properties)
        self.check_version_exists(body.get('function_id'),
                                  body.get('function_version'))
        # A webhook has no name: the marker is its fields and the webhooks
        # of the same target that exist before this one.
        known = sorted(w.id for w in self.client().webhooks.list()
                       if self._same_target(w, body))
        self.create_sending(dict(body, known=known))
        body.setdefault('function_id', None)
        try:
            webhook = self.client().webhooks.create(**body)
        except Exception as ex:
            self.create_rejected(ex)
            raise
        self.resource_id_set(webhook.id)
        self._answer = webhook

    @staticmethod
    def _same_target(webhook, body):
        if body.get('function_alias'):
            return getattr(webhook, 'function_alias', None) == (
                body['function_alias'])
        return webhook.function_id == body.get('function_id')

    def find_created(self, marker):
        found = [
            w.id for w in self.client().webhooks.list()
            if self._same_target(w, marker) and
            w.id not in marker['known'] and
            (w.function_version or 0) == (
                marker.get('function_version') or 0) and
            (w.description or '') == (marker['description'] or '')]
        if len(found) > 1:
            LOG.warning('%(res)s: several webhooks match an interrupted '
                        'create (%(ids)s); deleting none of them',
                        {'res': self, 'ids': ', '.join(sorted(found))})
        return found[0] if len(found) == 1 else None

    def show_object(self, object_id):
        return self.client().webhooks.get(object_id)

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if prop_diff:
            after = json_snippet.properties(self.properties_schema,
                                            self.context)
            alias = after[self.FUNCTION_ALIAS]
            try:
                if alias and alias == self.properties[self.FUNCTION_ALIAS]:
                    self._answer = (
                        self.client_plugin().update_alias_bound_webhook(
                            self.resource_id, alias, after[self.DESCRIPTION]))
                    return
                body = self._body(after)
                self.check_version_exists(body.get('function_id'),
                                          body.get('function_version'))
                self._answer = self.client().webhooks.update(
                    self.resource_id, **body)
            except Exception as ex:
                self.replace_if_gone(ex)
                raise

    def handle_delete(self):
        if self.recover_resource_id() is None:
            return
        # Alarms of this stack that Heat lost (heat_internals says why).
        heat_internals.delete_orphan_alarms(self, self._invoked_by)
        with self.client_plugin().ignore_not_found:
            self.client().webhooks.delete(self.resource_id)

    def _invoked_by(self, url):
        """Whether ``url`` is this webhook's URL.

        Qinling makes it ``<endpoint>/v1/webhooks/<id>/invoke``; the
        endpoint is Qinling's to choose (a proxy may add a path prefix), the
        webhook's ID (a UUID) names it alone.
        """
        parts = parse.urlsplit(url)
        return (parts.scheme in ('http', 'https') and not parts.query and
                parts.path.rstrip('/').endswith(
                    '/v1/webhooks/%s/invoke' % self.resource_id))

    def check_object(self, webhook):
        self._answer = webhook
        function_id = webhook.function_id
        version = webhook.function_version
        alias_name = getattr(webhook, 'function_alias', None)
        if alias_name:
            alias = self._target_or_error(
                lambda: self.client_plugin().get_alias(alias_name),
                _('alias %s') % alias_name)
            function_id = alias.function_id
            version = alias.function_version
        self._target_or_error(
            lambda: self.client().functions.get(function_id),
            _('function %s') % function_id)
        if version:
            self._target_or_error(
                lambda: self.client_plugin().get_version(function_id,
                                                         version),
                _('version %(version)s of function %(function)s') % {
                    'version': version, 'function': function_id})

    def _target_or_error(self, read, what):
        """Read what the webhook runs; an error naming it if it is gone."""
        try:
            return read()
        except Exception as ex:
            if not self.client_plugin().is_not_found(ex):
                raise
            raise exception.Error(
                _('Webhook %(id)s runs %(what)s, which is gone: every call '
                  'of its URL fails (%(reason)s).') % {
                    'id': self.resource_id, 'what': what, 'reason': ex})

    def _webhook_id(self):
        """The webhook's ID, also when not loaded from the database.

        An alarm that names this resource bare in its actions resolves it
        from an object without a resource_id (heat_internals says why).
        """
        if self.resource_id is not None:
            return self.resource_id
        return heat_internals.node_reference_id(self.stack, self.name)

    def _read_webhook(self, webhook_id):
        """The webhook, from Qinling's answer in this action if any.

        Heat resolves the attributes that later resources use right after
        a create, update or check, on the same resource object: Qinling's
        answer to its POST, PUT or GET already holds them (``webhook_url``
        too).
        """
        answer = getattr(self, '_answer', None)
        if getattr(answer, 'id', None) == webhook_id:
            return answer
        return self.client().webhooks.get(webhook_id)

    def _resolve_attribute(self, name):
        webhook_id = self._webhook_id()
        if webhook_id is None:
            return None
        webhook = self._read_webhook(webhook_id)
        if name == self.ALARM_URL:
            return webhook.webhook_url
        alias = getattr(webhook, 'function_alias', None)
        if alias and name in (self.FUNCTION_ID, self.FUNCTION_VERSION_ATTR):
            # Qinling stores neither for an alias-bound webhook.
            return getattr(self.client_plugin().get_alias(alias), name,
                           None)
        return getattr(webhook, name, None)

    def parse_live_resource_data(self, resource_properties, resource_data):
        if resource_data.get('function_alias'):
            return {
                self.FUNCTION_ALIAS: resource_data['function_alias'],
                self.FUNCTION: None,
                self.FUNCTION_VERSION: 0,
                self.DESCRIPTION: resource_data.get('description') or '',
            }
        return {
            self.FUNCTION: resource_data.get('function_id'),
            self.FUNCTION_VERSION: resource_data.get('function_version'),
            self.DESCRIPTION: resource_data.get('description') or '',
            self.FUNCTION_ALIAS: None,
        }


def resource_mapping():
    return {'OS::Qinling::Webhook': QinlingWebhook}
