"""``torch.distributed`` over JAX's multi-process runtime (``jax.distributed``, CPU collectives over gloo).

One process per rank, as in PyTorch: ``init_process_group`` joins JAX's coordination service
(rank 0 serves it on MASTER_PORT); tensor collectives are XLA programs over a mesh of one device
per rank (``_runtime``); objects and point-to-point messages go through the service's key-value
store.  ``python -m torchlike.distributed.run`` is torchrun.
``Store``, ``HashStore``, ``FileStore``, ``TCPStore`` and ``PrefixStore`` are torchlike's own
key-value stores (``_store``); ``init_process_group(store=...)`` accepts one but still meets in JAX's service.
"""
from .distributed_c10d import (  # noqa: F401
    Backend, DistBackendError, DistError, DistNetworkError, DistStoreError, GroupMember, P2POp, ProcessGroup,
    ReduceOp, Work, all_gather, all_gather_into_tensor, all_gather_object, all_reduce, all_to_all,
    all_to_all_single, barrier, batch_isend_irecv, broadcast, broadcast_object_list, destroy_process_group,
    gather, gather_object, get_backend, get_default_backend_for_device, get_global_rank, get_group_rank,
    get_process_group_ranks, get_rank, get_world_size, group, init_process_group, irecv, is_available,
    is_backend_available, is_gloo_available, is_initialized, is_mpi_available, is_nccl_available,
    is_torchelastic_launched, is_ucc_available, isend, monitored_barrier, new_group, recv, reduce, reduce_op,
    reduce_scatter, reduce_scatter_tensor, scatter, scatter_object_list, send)
from .distributed_c10d import (  # noqa: F401
    DebugLevel, all_gather_coalesced, all_reduce_coalesced, get_debug_level, get_node_local_rank, get_pg_count,
    new_subgroups, new_subgroups_by_enumeration, recv_object_list, send_object_list)
from .distributed_c10d import (  # noqa: F401
    BackendConfig, GroupName, QueueEmptyError, all_gather_single, breakpoint, get_backend_config,
    is_xccl_available, record_comm, reduce_scatter_single, set_debug_level, set_debug_level_from_env,
    shrink_group, split_group, supports_complex)
from .rendezvous import register_rendezvous_handler, rendezvous  # noqa: F401,E402
from ._store import FileStore, HashStore, PrefixStore, Store, TCPStore  # noqa: F401
from .device_mesh import DeviceMesh, init_device_mesh  # noqa: F401
