# For Piccolo's own CLI; Sila's configuration lives in sila/piccolo_conf.py.
from sila.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
