# Heat 27 runs on oslo.service's threading backend. Select it before anything
# imports oslo_messaging (through heat.engine), which would otherwise pick
# eventlet and make HeatTestCase fail with BackendAlreadySelected.
from oslo_service import backend

try:
    backend.init_backend(backend.BackendType.THREADING)
except backend.exceptions.BackendAlreadySelected:
    pass
