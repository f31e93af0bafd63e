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

"""The HOT templates the stacks part creates."""


def chains(n, event_type, description=None):
    """HOT with ``n`` seed chains (function, webhook, event alarm), files
    shared; each chain is three resources, each depending on the one before.
    An ``event_type`` with ``%d`` is chain ``i``'s with ``i`` in its place."""
    lines = ['heat_template_version: 2018-08-31', 'resources:']
    extra = ['      description: %s' % description] if description else []
    for i in range(n):
        lines += (
            [
                '  function%d:' % i,
                '    type: OS::Qinling::Function',
                '    properties:',
                '      runtime: python3',
                '      entry: hello_world.main',
                (
                    '      files: {hello_world.py: {get_file:'
                    ' functions/hello_world.py}}'
                ),
            ]
            + extra
            + [
                '  webhook%d:' % i,
                '    type: OS::Qinling::Webhook',
                '    properties:',
                '      function: {get_resource: function%d}' % i,
            ]
            + extra
            + [
                '  alarm%d:' % i,
                '    type: OS::Aodh::EventAlarm',
                '    properties:',
                '      event_type: %s' % (
                    event_type % i if '%d' in event_type else event_type),
                '      repeat_actions: false',
                '      alarm_actions: [{get_attr: [webhook%d, webhook_url]}]'
                % i,
            ]
        )
    return '\n'.join(lines) + '\n'


def random_chains(n):
    """Heat's floor of the same shape: ``n`` chains of three RandomStrings,
    each depending on the one before (get_attr of its value, as the alarm on
    the webhook)."""
    lines = ['heat_template_version: 2018-08-31', 'resources:']
    for i in range(n):
        lines += [
            '  first%d: {type: OS::Heat::RandomString}' % i,
            '  second%d:' % i,
            '    type: OS::Heat::RandomString',
            '    properties: {salt: {get_attr: [first%d, value]}}' % i,
            '  third%d:' % i,
            '    type: OS::Heat::RandomString',
            '    properties: {salt: {get_attr: [second%d, value]}}' % i,
        ]
    return '\n'.join(lines) + '\n'
