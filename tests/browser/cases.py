"""The templates the browser tests launch: ``tests/catalog_cases.py`` (the
catalog's shared table) when it exists, else a bridge for the seed chain.

The bridge is temporary: the landed seed template loads its code with
``get_file`` and constrains its ``runtime`` parameter, both of which Launch
Stack refuses (horizon-notes.md), so the bridge uploads a copy with the code
inline and without the parameter's custom constraint.
"""
import collections
import os
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from tests import catalog_cases
except ImportError:
    catalog_cases = None

Event = collections.namedtuple('Event', 'event_type traits project')
Case = collections.namedtuple(
    'Case', 'name template environment function_parameter parameters '
            'changed fires ignored output outputs')

SEED = 'templates/function-webhook-event-alarm.yaml'
BRIDGE = Case(
    name='seed', template=SEED, environment=None, function_parameter=None,
    parameters={'event_type': 'compute.instance.create.end'},
    changed='event_type',
    fires=[Event('compute.instance.create.end', [('display_name', 'web1')],
                 'own')],
    ignored=[], output='Hello, World',
    outputs=['function_id', 'webhook_url', 'alarm_id'])

CASES = catalog_cases.CASES if catalog_cases else [BRIDGE]


def expected_output(case, event):
    return case.output(event) if callable(case.output) else case.output


def upload_path(case, workdir=None):
    """The file Launch Stack uploads for ``case``."""
    path = os.path.join(REPO, case.template)
    if catalog_cases:
        return path
    with open(path) as f:
        template = yaml.safe_load(f)
    base = os.path.dirname(path)
    for resource in template['resources'].values():
        files = resource.get('properties', {}).get('files', {})
        for name, value in list(files.items()):
            if isinstance(value, dict) and 'get_file' in value:
                with open(os.path.join(base, value['get_file'])) as f:
                    files[name] = f.read()
    for param in template['parameters'].values():
        param['constraints'] = [c for c in param.get('constraints', [])
                                if 'custom_constraint' not in c]
    out = os.path.join(workdir or tempfile.mkdtemp(), os.path.basename(path))
    with open(out, 'w') as f:
        yaml.safe_dump(template, f, sort_keys=False)
    return out
