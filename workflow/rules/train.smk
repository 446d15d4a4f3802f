# One training run per run id ({dataset}__{arch}__wWsStT__eE__sSEED__SETTINGS); it resumes from
# its last complete checkpoint when rerun. GPUs, time limits and DataLoader workers come from the
# profile (workflow/profiles/*: the `num_workers` resource).


rule train:
    input:
        lambda wildcards: f"results/data/{run_of(wildcards).dataset}.prepared",
    output:
        "results/runs/{run_id}/metrics.json",
    log:
        "results/logs/train/{run_id}.log",
    conda:
        CONDA_ENV
    # One thread per run: two runs in parallel on 2 cores beat one run on two threads.
    threads: 1
    params:
        args=train_args,
        workers=num_workers,
        out="results/runs/{run_id}",
    shell:
        "qsnn train {params.args} --threads {threads} --num-workers {params.workers} --out {params.out} > {log} 2>&1"
