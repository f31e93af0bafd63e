"""Code that runs inside the Qinling venv, never in the main venv's processes.

- ``api`` and ``engine``: launchers for the real qinling-api and qinling-engine 5.0.0
  (Python 3.11 shims, our orchestrator in place of Kubernetes).
- ``orchestrator``: the local-process executor, a Qinling orchestrator plugin.
- ``worker``: one HTTP server per function version, playing Qinling's python3 runtime.

Of the rest of ``localcloud`` only ``localcloud.util`` (standard library only) is
imported here; the worker uses only the standard library (plus keystoneauth1,
lazily, when the engine hands it trust credentials).
"""
