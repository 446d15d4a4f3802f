# One training run per run id ({dataset}__{arch}__wWsStT__eE__sSEED); it resumes from its
# last complete checkpoint when rerun. GPUs and time limits come from the profile.


rule train:
    input:
        lambda wildcards: f"results/data/{run_of(wildcards).dataset}.prepared",
    output:
        "results/runs/{run_id}/metrics.json",
    # One thread per run: two runs in parallel on 2 cores beat one run on two threads.
    threads: 1
    conda:
        CONDA_ENV
    log:
        "results/logs/train/{run_id}.log",
    params:
        args=train_args,
        out="results/runs/{run_id}",
    shell:
        "qsnn train {params.args} --threads {threads} --out {params.out} > {log} 2>&1"
