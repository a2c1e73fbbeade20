"""``torch.distributed.checkpoint``: only its ``state_dict`` helpers (whole or sharded model state
dicts of ``fully_shard``ed modules); DCP's sharded save/load is not provided."""
