"""Self-Instruct: grow instruction-tuning tasks from a few seed tasks with any chat engine.

``bootstrap`` grows the instruction pool, ``classify`` and ``instances`` turn each new
instruction into a task with examples, ``run`` ties them together and writes the files.
"""

from dynosaur.self_instruct.bootstrap import BootstrapConfig, BootstrapResult, bootstrap
from dynosaur.self_instruct.filters import DEFAULT_BLOCKLIST
from dynosaur.self_instruct.prompting import Sampling
from dynosaur.self_instruct.run import SelfInstructReport, self_instruct

__all__ = [
    "DEFAULT_BLOCKLIST",
    "BootstrapConfig",
    "BootstrapResult",
    "Sampling",
    "SelfInstructReport",
    "bootstrap",
    "self_instruct",
]
