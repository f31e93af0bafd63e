"""OS::Qinling::Webhook."""
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support
from heat.engine import translation

from heat_qinling.resources import validation


class QinlingWebhook(validation.ValuesValidatedEarly, resource.Resource):
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

    Every property is updated in place: the webhook ID, and so its URL, stay
    the same.
    """

    support_status = support.SupportStatus(version='27.0.0')

    default_client_name = 'qinling'

    entity = 'webhooks'

    PROPERTIES = (
        FUNCTION, FUNCTION_VERSION, DESCRIPTION,
    ) = (
        'function', 'function_version', 'description',
    )

    ATTRIBUTES = (
        WEBHOOK_URL, FUNCTION_ID, FUNCTION_VERSION_ATTR, ALARM_URL,
    ) = (
        'webhook_url', 'function_id', 'function_version', 'AlarmUrl',
    )

    properties_schema = {
        FUNCTION: properties.Schema(
            properties.Schema.STRING,
            _('Name or ID of the Qinling function the webhook runs.'),
            required=True,
            update_allowed=True,
            constraints=[constraints.CustomConstraint('qinling.function')],
        ),
        FUNCTION_VERSION: properties.Schema(
            properties.Schema.INTEGER,
            _('Version of the function to run; 0 runs the latest code.'),
            update_allowed=True,
            default=0,
            constraints=[constraints.Range(
                min=0,
                description=_('The version must be an integer of at least 0 '
                              '(0 runs the latest code).'))],
        ),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Description of the webhook.'),
            update_allowed=True,
            default='',
        ),
    }

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
        ALARM_URL: attributes.Schema(
            _('The webhook URL, for alarms that name this resource in their '
              'actions.'),
            type=attributes.Schema.STRING,
            support_status=support.SupportStatus(status=support.HIDDEN)),
    }

    def translation_rules(self, props):
        return [
            translation.TranslationRule(
                props,
                translation.TranslationRule.RESOLVE,
                [self.FUNCTION],
                client_plugin=self.client_plugin(),
                finder='get_function_id'),
        ]

    def _body(self, props):
        # function_version is always sent: a webhook stored without one
        # makes every invoke fail with a 500.
        return {
            'function_id': props[self.FUNCTION],
            'function_version': props[self.FUNCTION_VERSION],
            'description': props[self.DESCRIPTION],
        }

    def handle_create(self):
        webhook = self.client().webhooks.create(**self._body(self.properties))
        self.resource_id_set(webhook.id)

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if prop_diff:
            after = json_snippet.properties(self.properties_schema,
                                            self.context)
            self.client().webhooks.update(self.resource_id,
                                          **self._body(after))

    def handle_delete(self):
        if self.resource_id is None:
            return
        with self.client_plugin().ignore_not_found:
            self.client().webhooks.delete(self.resource_id)

    def handle_check(self):
        webhook = self.client().webhooks.get(self.resource_id)
        # Raises if the function it runs is gone.
        self.client().functions.get(webhook.function_id)

    def _webhook_id(self):
        """The webhook's ID, also when this object was not loaded from the
        database.

        An alarm that names this resource in its actions resolves it with
        ``self.stack[name].FnGetAtt('AlarmUrl')``. The convergence engine
        (Heat's default) builds that object from the template, without a
        resource_id; what it knows of the created webhook is the node data
        it passes to the resources that depend on it (hence ``depends_on``),
        whose reference ID is the webhook ID.
        """
        if self.resource_id is not None:
            return self.resource_id
        if self.name not in self.stack.defn:
            return None
        proxy = self.stack.defn[self.name]
        if proxy.action == proxy.INIT:  # no node data: not created yet
            return None
        return proxy.FnGetRefId()

    def _resolve_attribute(self, name):
        webhook_id = self._webhook_id()
        if webhook_id is None:
            return None
        webhook = self.client().webhooks.get(webhook_id)
        if name == self.ALARM_URL:
            return webhook.webhook_url
        return getattr(webhook, name, None)

    def _show_resource(self):
        return self.client().webhooks.get(self.resource_id).to_dict()

    def parse_live_resource_data(self, resource_properties, resource_data):
        return {
            self.FUNCTION: resource_data.get('function_id'),
            self.FUNCTION_VERSION: resource_data.get('function_version'),
            self.DESCRIPTION: resource_data.get('description') or '',
        }


def resource_mapping():
    return {'OS::Qinling::Webhook': QinlingWebhook}
