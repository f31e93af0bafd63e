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

"""Launcher of the real qinling-engine 5.0.0 with the local executor (``python
-m localcloud.qinling_local.engine --config-file qinling.conf``).

It runs Qinling's own EngineService under cotyledon, as ``qinling-engine``
does. The main change: the orchestrator. ``[engine] orchestrator`` accepts just
kubernetes or swarm and is looked up with stevedore, so the service installs
our LocalProcessOrchestrator as Qinling's module-level ORCHESTRATOR before
Qinling would load one. It does so in the cotyledon worker process, where the
RPC server runs (the executor starts threads, which would not survive
cotyledon's fork).

``fixes.apply_engine_fixes`` then lets executions of a live local worker
skip the etcd lock and the /ping (see there), and
``instrumentation.install_engine_hooks`` adds the benchmark's timing lines
(silent until the benchmark asks).

Once the RPC server is started, the service writes ``<work_dir>/engine.ready``
(``<pid> <kernel start time>``) for the health check, and removes it on
shutdown, after stopping every worker.
"""
import os
import sys

from localcloud.qinling_local import common

common.apply_shims()

import cotyledon  # noqa: E402
from cotyledon import oslo_config_glue  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402

from localcloud.qinling_local import fixes  # noqa: E402
from localcloud.qinling_local import instrumentation  # noqa: E402
from localcloud.qinling_local import orchestrator  # noqa: E402
from localcloud import util  # noqa: E402
from qinling.engine import service as engine_service  # noqa: E402
from qinling.orchestrator import base as orchestrator_base  # noqa: E402
from qinling import rpc  # noqa: E402
from qinling.utils.openstack import keystone as keystone_utils  # noqa: E402

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
READY_FILE = 'engine.ready'


def ready_path(conf):
    return os.path.join(conf.local_executor.work_dir, READY_FILE)


class LocalEngineService(engine_service.EngineService):
    """Qinling's engine service with the local executor as its orchestrator."""

    def __init__(self, worker_id):
        super().__init__(worker_id)
        self.executor = None

    def run(self):
        os.makedirs(CONF.local_executor.work_dir, exist_ok=True)
        self.executor = orchestrator.LocalProcessOrchestrator(
            CONF, keystone_utils.get_qinling_endpoint())
        orchestrator_base.ORCHESTRATOR = self.executor
        fixes.apply_engine_fixes(self.executor)
        instrumentation.install_engine_hooks(
            os.path.dirname(os.path.abspath(CONF.config_file[0])))
        super().run()
        pid = os.getpid()
        util.write_file(ready_path(CONF), '%d %d\n' % (
            pid, orchestrator.process_start_time(pid)))
        LOG.info('Engine RPC server started with the local executor.')

    def terminate(self):
        try:
            os.unlink(ready_path(CONF))
        except FileNotFoundError:
            pass
        try:
            super().terminate()
        except RuntimeError as e:
            # Qinling's periodics.stop() deletes from the dict it iterates: it
            # stops the periodic task, then raises before the RPC server is
            # stopped.
            LOG.info(
                'Qinling engine terminate failed (%s); stopping the RPC'
                ' server.',
                e,
            )
            if self.server:
                self.server.stop()
                self.server.wait()
        finally:
            if self.executor:
                self.executor.shutdown()


def main(argv=None):
    common.parse_config(sys.argv[1:] if argv is None else argv,
                        extra_opts=[orchestrator.register_opts])
    rpc.get_transport()
    manager = cotyledon.ServiceManager()
    manager.add(LocalEngineService, workers=1)
    oslo_config_glue.setup(manager, CONF, reload_method='mutate')
    manager.run()


if __name__ == '__main__':
    main()
