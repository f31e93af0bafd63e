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

"""The local executor's worker against the python3 runtime contract, over real
HTTP.

Runs with any Python 3.11 (the worker needs only the standard library):
    python -m pytest tests/localcloud/test_qinling_worker.py
or  python -m unittest tests.localcloud.test_qinling_worker
"""
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import zipfile

REPO_DIR = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)

HELLO = '''
import os
import time

def main(name='World', **kwargs):
    print('saying hello to', name)
    return 'Hello, %s' % name

def echo(*args, **kwargs):
    kwargs['has_context'] = 'context' in kwargs
    kwargs.pop('context', None)
    return {'args': list(args), 'kwargs': kwargs}

def fail(**kwargs):
    raise ValueError('no luck')

def sleep(seconds=10, **kwargs):
    print('going to sleep')
    time.sleep(seconds)

def spin(**kwargs):
    while True:
        pass

def hog(megabytes=200, **kwargs):
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)

def session(context, **kwargs):
    return context['os_session'] is None

def pid(**kwargs):
    return os.getpid()
'''


def make_zip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buf.getvalue()


class PackageServer(http.server.BaseHTTPRequestHandler):
    """Serves the zip as qinling-api's ?download=true, records tokens."""

    package = make_zip({'hello_world.py': HELLO, 'pkg/__init__.py': '',
                        'pkg/mod.py': 'def run(**kw):\n    return "nested"\n'})
    tokens = []

    def do_GET(self):
        self.tokens.append(self.headers.get('X-Auth-Token'))
        if 'missing' in self.path:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header('Content-Type', 'application/zip')
        self.send_header('Content-Length', str(len(self.package)))
        self.end_headers()
        self.wfile.write(self.package)

    def log_message(self, *args):
        pass


class WorkerTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.files = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), PackageServer
        )
        threading.Thread(target=cls.files.serve_forever, daemon=True).start()
        cls.download_url = (
            'http://127.0.0.1:%d/v1/functions/f1?download=true'
            % (cls.files.server_address[1])
        )
        cls.work_dir = tempfile.mkdtemp(prefix='qinling-worker-test-')
        env = dict(os.environ, PYTHONPATH=REPO_DIR)
        cls.log = open(os.path.join(cls.work_dir, 'worker.log'), 'w')
        cls.proc = subprocess.Popen(
            [sys.executable, '-m', 'localcloud.qinling_local.worker',
             '--work-dir', cls.work_dir], env=env, stdout=cls.log,
            stderr=subprocess.STDOUT)
        port_file = os.path.join(cls.work_dir, 'port')
        deadline = time.monotonic() + 15
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or cls.proc.poll() is not None:
                raise RuntimeError('worker did not start')
            time.sleep(0.02)
        with open(port_file) as f:
            cls.url = 'http://127.0.0.1:%s' % f.read()
        cls.first = cls.execute(cls, token='first-token')

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(10)
        cls.log.close()
        cls.files.shutdown()
        shutil.rmtree(cls.work_dir, ignore_errors=True)

    def execute(self, entry='hello_world.main', input=None, timeout=5,
                memory_size=33554432, **extra):
        body = {
            'execution_id': 'exec-%d' % time.monotonic_ns(),
            'cpu': 100,
            'memory_size': memory_size,
            'input': input,
            'function_id': 'f1',
            'function_version': 0,
            'entry': entry,
            'request_id': 'req',
            'download_url': self.download_url,
            'timeout': timeout,
        }
        body.update(extra)
        request = urllib.request.Request(
            self.url + '/execute', data=json.dumps(body).encode(),
            headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as exc:
            return dict(json.load(exc), status=exc.code)

    def test_ping(self):
        with urllib.request.urlopen(self.url + '/ping') as resp:
            self.assertEqual(b'pong', resp.read())

    def test_hello_default_and_keyword_input(self):
        res = self.execute()
        self.assertEqual('Hello, World', res['output'])
        self.assertTrue(res['success'])
        self.assertIn('saying hello to World', res['logs'])
        self.assertIsInstance(res['duration'], float)
        self.assertEqual(
            'Hello, Heat', self.execute(input={'name': 'Heat'})['output']
        )

    def test_positional_input_and_context(self):
        res = self.execute(
            'hello_world.echo', input={'__function_input': 'abc', 'x': 1}
        )
        self.assertEqual(
            {'args': ['abc'], 'kwargs': {'x': 1, 'has_context': True}},
            res['output'],
        )
        self.assertTrue(self.execute('hello_world.session')['output'])

    def test_nested_module_entry(self):
        self.assertEqual('nested', self.execute('pkg.mod.run')['output'])

    def test_exception_fails_with_traceback_in_log(self):
        res = self.execute('hello_world.fail')
        self.assertFalse(res['success'])
        self.assertEqual('no luck', res['output'])
        self.assertIn('Traceback', res['logs'])
        self.assertIn('ValueError: no luck', res['logs'])

    def test_bad_entry(self):
        res = self.execute('nosuchmodule.main')
        self.assertFalse(res['success'])
        self.assertIn('nosuchmodule', res['output'])

    def test_timeout_kills_the_run(self):
        started = time.monotonic()
        res = self.execute('hello_world.sleep', timeout=1)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual('Function execution timeout.', res['output'])
        self.assertFalse(res['success'])
        self.assertIn('going to sleep', res['logs'])

    def test_busy_loop_timeout(self):
        res = self.execute('hello_world.spin', timeout=1)
        self.assertEqual('Function execution timeout.', res['output'])

    def test_memory_limit(self):
        res = self.execute('hello_world.hog', input={'megabytes': 200})
        self.assertFalse(res['success'])
        self.assertIn('MemoryError', res['logs'])
        res = self.execute('hello_world.hog', input={'megabytes': 8})
        self.assertEqual(8 * 1024 * 1024, res['output'])

    def test_each_execution_in_a_fresh_child(self):
        first = self.execute('hello_world.pid')['output']
        second = self.execute('hello_world.pid')['output']
        self.assertNotEqual(first, second)
        self.assertNotEqual(self.proc.pid, first)

    def test_package_downloaded_once_with_the_token(self):
        self.assertTrue(self.first['success'])
        self.assertTrue(self.execute(token='second-token')['success'])
        self.assertEqual(['first-token'], PackageServer.tokens)

    def test_concurrent_executions(self):
        results = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    self.execute(
                        'hello_world.sleep', input={'seconds': 1}, timeout=3
                    )
                )
            )
            for _ in range(3)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertLess(time.monotonic() - started, 2.8)
        self.assertTrue(all(r['success'] for r in results))

    def test_many_quick_concurrent_runs_all_succeed(self):
        # Runs that start while others end: another thread's Process.start()
        # may reap a finished child before its own thread looks at it.
        results = []

        def run_some():
            for _ in range(6):
                results.append(self.execute('hello_world.main', timeout=5))
        threads = [threading.Thread(target=run_some) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(48, len(results))
        failed = [r for r in results if not r['success']]
        self.assertEqual([], failed)


class PrefetchTest(unittest.TestCase):
    """POST /prefetch downloads the package before the first execution."""

    def test_prefetch_downloads_once_with_the_token(self):
        from localcloud.qinling_local import worker

        class Files(PackageServer):
            tokens = []

        files = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Files)
        threading.Thread(target=files.serve_forever, daemon=True).start()
        self.addCleanup(files.server_close)
        self.addCleanup(files.shutdown)
        work_dir = tempfile.mkdtemp(prefix='qinling-worker-test-')
        self.addCleanup(shutil.rmtree, work_dir, True)
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                 worker.Handler)
        server.package = worker.Package(work_dir)
        server.runs_dir = work_dir
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = 'http://127.0.0.1:%d/v1/functions/f2?download=true' % (
            files.server_address[1])
        for _ in range(2):
            request = urllib.request.Request(
                'http://127.0.0.1:%d/prefetch' % server.server_address[1],
                data=json.dumps({'download_url': url,
                                 'token': 'create-token'}).encode(),
                headers={'Content-Type': 'application/json'})
            with urllib.request.urlopen(request, timeout=30) as resp:
                self.assertEqual(200, resp.status)
        self.assertEqual(['create-token'], Files.tokens)
        self.assertTrue(os.path.exists(
            os.path.join(work_dir, 'package', 'hello_world.py')))


class DownloadFailureTest(unittest.TestCase):

    def test_download_error(self):
        from localcloud.qinling_local import worker
        work_dir = tempfile.mkdtemp(prefix='qinling-worker-test-')
        self.addCleanup(shutil.rmtree, work_dir, True)
        status, body = worker.execute(
            {
                'execution_id': 'e',
                'download_url': 'http://127.0.0.1:9/missing',
            },
            worker.Package(work_dir),
            work_dir,
        )
        self.assertEqual(500, status)
        self.assertFalse(body['success'])
        self.assertIn('Failed to download function package', body['output'])


class InputTest(unittest.TestCase):

    def test_split_input(self):
        from localcloud.qinling_local.worker import split_input
        self.assertEqual(([], {}), split_input(None))
        self.assertEqual(([], {'a': 1}), split_input({'a': 1}))
        self.assertEqual((['s'], {}), split_input({'__function_input': 's'}))
        self.assertEqual(([3], {}), split_input(3))

    def test_split_entry(self):
        from localcloud.qinling_local.worker import split_entry
        self.assertEqual(('a.b', 'c'), split_entry('a.b.c'))
        self.assertEqual(('main', 'main'), split_entry(None))
        self.assertRaises(ValueError, split_entry, 'nodot')


if __name__ == '__main__':
    unittest.main()
