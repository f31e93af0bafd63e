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

"""HTTP plumbing shared by the fake OpenStack services used in unit tests.

`FakeServer` serves any WSGI app on 127.0.0.1 on an ephemeral port from a
daemon thread. `FakeAPI` is the base of the fakes: a routed WSGI app that
records every request, can be told to fail the next matching request, and runs
on its own `FakeServer` while used as a fixture.
"""

import json
import logging
import re
import socketserver
import threading
import traceback
from urllib import parse
from wsgiref import simple_server

import fixtures

LOG = logging.getLogger(__name__)

REASONS = {200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
           400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
           404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
           500: 'Internal Server Error', 502: 'Bad Gateway',
           503: 'Service Unavailable', 504: 'Gateway Timeout'}

NOT_FOUND_HTML = ('<html><head><title>404 Not Found</title></head><body>'
                  '<h1>404 Not Found</h1>The resource could not be found.'
                  '</body></html>')


class _ThreadingWSGIServer(socketserver.ThreadingMixIn,
                           simple_server.WSGIServer):
    """A WSGI server that answers each connection in its own thread."""

    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    """Request handler that does not print an access log line per request."""

    def log_message(self, format, *args):
        pass


class FakeServer(fixtures.Fixture):
    """Serve a WSGI app on 127.0.0.1:<ephemeral port> in a daemon thread."""

    def __init__(self, app):
        super().__init__()
        self.app = app
        self._httpd = None

    def start(self):
        self._httpd = simple_server.make_server(
            '127.0.0.1', 0, self.app, server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                         name='fake-server-%d' % self.port,
                         daemon=True).start()

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def _setUp(self):
        self.start()
        self.addCleanup(self.stop)


class Fault(Exception):
    """An HTTP error answer; the fake formats `message` per route style."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    """What a handler needs from one WSGI request."""

    def __init__(self, environ):
        self.method = environ['REQUEST_METHOD']
        self.path = environ.get('PATH_INFO', '')
        self.query = dict(parse.parse_qsl(environ.get('QUERY_STRING', '')))
        self.content_type = environ.get('CONTENT_TYPE', '')
        length = int(environ.get('CONTENT_LENGTH') or 0)
        self.body = environ['wsgi.input'].read(length) if length else b''
        self.headers = {k[5:].replace('_', '-').lower(): v
                        for k, v in environ.items() if k.startswith('HTTP_')}

    def json(self):
        return json.loads(self.body or b'null')


class Response:
    """A status, a body and headers; dict/list bodies are sent as JSON."""

    def __init__(self, status, body=b'', content_type='application/json',
                 headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.status = status
        self.body = body
        self.headers = list(headers)
        if content_type is not None:
            self.headers.append(('Content-Type', content_type))


class FakeAPI(fixtures.Fixture):
    """Base of the fakes: routing, request log, injected failures.

    Subclasses list `routes` as (method, path regex, handler name, style);
    named groups of the regex become handler keyword arguments. A handler
    returns a Response or raises Fault; `fault_response(style, fault)` turns a
    Fault into the service's own error body and `crash_response(style, exc)`
    answers any other exception, as the real server would for a bug.
    """

    routes = ()

    def __init__(self):
        super().__init__()
        self.requests = []
        self._failures = []
        self._lock = threading.RLock()
        self._routes = [(m, re.compile(p + '$'), getattr(self, h), s)
                        for m, p, h, s in self.routes]
        self.server = FakeServer(self)

    def _setUp(self):
        self.useFixture(self.server)

    def start(self):
        self.setUp()

    def stop(self):
        self.cleanUp()

    @property
    def url(self):
        return self.server.url

    def fail_next(self, method, path_regex, status, body=b'',
                  content_type='text/plain'):
        """Answer the next `method` request whose path matches with this.

        content_type=None sends no Content-Type header at all.
        """
        with self._lock:
            self._failures.append((method.upper(), re.compile(path_regex),
                                   Response(status, body, content_type)))

    def write_requests(self):
        """The recorded requests that may change state (not GET/HEAD)."""
        return [r for r in self.requests if r[0] not in ('GET', 'HEAD')]

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self._respond(request)
            shown = request.path + ('?' + environ['QUERY_STRING']
                                    if environ.get('QUERY_STRING') else '')
            self.requests.append((request.method, shown, response.status))
        start_response('%d %s' % (response.status,
                                  REASONS.get(response.status, 'Unknown')),
                       response.headers)
        return [response.body]

    def _respond(self, request):
        for failure in self._failures:
            method, pattern, response = failure
            if method == request.method and pattern.search(request.path):
                self._failures.remove(failure)
                return response
        for method, pattern, handler, style in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                try:
                    return handler(request, **match.groupdict())
                except Fault as fault:
                    return self.fault_response(style, fault)
                except Exception as exc:
                    LOG.warning('%s crashed as the real server would:\n%s',
                                type(self).__name__, traceback.format_exc())
                    return self.crash_response(style, exc)
        return Response(404, NOT_FOUND_HTML, 'text/html')

    def fault_response(self, style, fault):
        raise NotImplementedError

    def crash_response(self, style, exc):
        return Response(500, b'', 'text/plain')
