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

"""What the benchmark reads from the cloud's logs: qinling-api's access log
(the calls Heat makes), heat-engine's timeline of a stack, the
``localcloud-timing`` lines of qinling-api and qinling-engine."""
import datetime
import os
import re
import time

from localcloud.bench import common

ACCESS_LINE = re.compile(
    r'"(GET|POST|PUT|DELETE|PATCH|HEAD) (\S+) HTTP/1\.[01]" ' r'status: (\d+)'
)
UUID = re.compile(
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
)


class LogSinceMark:
    """What one process of the cloud logged since ``mark()``."""

    process = None

    def __init__(self, cloud):
        self.path = cloud.log_path(self.process)
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path)

    def text(self):
        with open(self.path, errors='replace') as f:
            f.seek(self.offset)
            return f.read()


class AccessLog(LogSinceMark):
    """The requests qinling-api logged since ``mark()``."""

    process = 'qinling-api'

    def calls(self):
        """{'METHOD /path/{id}': count} since the mark (query strings kept
        apart), without the package downloads of the workers
        (``?download=true``: the local executor's prefetch at function create,
        not the plugin)."""
        counts = {}
        for method, path, _ in ACCESS_LINE.findall(self.text()):
            path, _, query = path.partition('?')
            if query == 'download=true':
                continue
            key = '%s %s%s' % (
                method,
                UUID.sub('{id}', path),
                '?' + query if query else '',
            )
            counts[key] = counts.get(key, 0) + 1
        return counts


ENGINE_LINE = re.compile(
    r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \d+ \w+ \S+ \[[^\]]*\] (.*)$',
    re.M,
)


class EngineLog(LogSinceMark):
    """heat-engine's log since ``mark()``: when it took a stack's action,
    started each of its resources and completed, to the millisecond.

    The polls see a stack complete up to 0.1 s late, against a one-chain
    create of 0.4-0.9 s; heat-engine's own log line does not. Its times are
    the machine's clock, as ``time.time()`` here.
    """

    process = 'heat-engine'

    def timeline(self, stack_name, action):
        """[(time.time() value, step)] of one stack's action: 'engine' when
        heat-engine took it, each resource's name when it started, 'done'
        when the stack's action completed or failed."""
        name = re.escape(stack_name)
        verb = action.lower().rstrip('e')  # creat(ing), delet(ing)
        # (line, step); a step of None is the resource the line names
        patterns = (
            (re.compile(r'^%sing stack %s$' % (verb.title(), name)), 'engine'),
            (re.compile(r'^%sing \S+ "([^"]+)" .*Stack "%s"' % (verb, name)),
             None),
            (re.compile(r'^Stack %s (?:COMPLETE|FAILED) \(%s\)'
                        % (action, name)), 'done'),
        )
        steps = []
        for stamp, message in ENGINE_LINE.findall(self.text()):
            for pattern, step in patterns:
                match = pattern.match(message)
                if match:
                    when = datetime.datetime.strptime(
                        stamp, '%Y-%m-%d %H:%M:%S.%f').timestamp()
                    steps.append((when, step or match.group(1)))
                    break
        return steps


def stages(requested, steps):
    """[(stage, seconds)] from the request to the stack's completion:
    'api' (until heat-engine took it), 'stack' (its own work before the
    first resource), then each resource until the next step."""
    points = [(requested, 'api')] + [
        (when, 'stack' if step == 'engine' else step)
        for when, step in steps]
    return [(what, round(points[i + 1][0] - when, 3))
            for i, (when, what) in enumerate(points[:-1])]


TIMING_LINE = re.compile(
    r'localcloud-timing (webhook-invoke|engine) (.*)$', re.M
)


class TimingLog:
    """The ``localcloud-timing`` lines of qinling-api and qinling-engine
    (``qinling_local.instrumentation``, on while the benchmark asks):
    wall-clock times of each execution's stages."""

    def __init__(self, cloud):
        self.paths = {'webhook-invoke': cloud.log_path('qinling-api'),
                      'engine': cloud.log_path('qinling-engine')}
        self.offsets = {k: os.path.getsize(p) for k, p in self.paths.items()}
        self.seen = {'webhook-invoke': {}, 'engine': {}}

    def read(self):
        for kind, path in self.paths.items():
            with open(path, errors='replace') as f:
                f.seek(self.offsets[kind])
                text = f.read()
            cut = text.rfind('\n') + 1   # whole lines only
            self.offsets[kind] += len(text[:cut].encode(errors='replace'))
            for found_kind, fields in TIMING_LINE.findall(text[:cut]):
                values = dict(f.split('=', 1) for f in fields.split())
                self.seen[found_kind][values['execution']] = values

    def wait_engine(self, function_id, known, timeout=60):
        """The first engine line of ``function_id`` for an execution not in
        ``known``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read()
            for execution, values in self.seen['engine'].items():
                if (
                    values['function'] == function_id
                    and execution not in known
                ):
                    return execution, values
            time.sleep(0.005)
        raise common.BenchmarkError(
            'no execution of %s committed within %d s'
            % (function_id, timeout))
