#!/bin/bash
# Submit the shard array, then the merge, which starts once every array task has succeeded.
# Run it from the directory that holds tasks.jsonl (the jobs work there, and write runs/ and logs/).
set -euo pipefail
here=$(dirname "$0")
mkdir -p logs
array=$(sbatch --parsable "$here/run_shards.sbatch")
sbatch --dependency="afterok:${array%%;*}" "$here/merge.sbatch"
