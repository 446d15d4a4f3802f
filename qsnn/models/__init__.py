"""The architecture registry. One readable file per family, each registering its full-scale
networks (with ``stand_in=``, the tiny sibling the quick profile trains instead) and that sibling;
the blocks they share are in ``blocks``:

* ``sew_resnet``  SEW-ResNet-18/34/50 (ImageNet and CIFAR forms) and ``sew-resnet-tiny``
* ``spikformer``  Spikformer-L-D and ``spikformer-tiny``
* ``resnet``      ResNet-19, ResNet-20 and their tiny sibling
* ``cifarnet``    CIFARNet of Fang et al. (PLIF) and its tiny sibling
"""

# Importing a family registers its architectures.
from qsnn.models import cifarnet, resnet, sew_resnet, spikformer  # noqa: E402,F401
from qsnn.models.registry import (
    ArchSpec,
    UnknownArchitectureError,
    arch_spec,
    create,
    list_archs,
    register,
    stand_in_of,
)

__all__ = ["ArchSpec", "UnknownArchitectureError", "arch_spec", "create", "list_archs", "register", "stand_in_of"]
