# Datasets: download + verify + extract (idempotent); the stand-ins are generated offline.
# The rehearsal first writes format-exact fakes (`qsnn data fake`) and prepares from them with
# --archive-dir --skip-checksum, so the real prepare path runs and every run records 'unverified'.


rule fake_dataset:
    output:
        touch(f"{FAKE_DIR}/{{dataset}}.written"),
    log:
        "results/logs/data/{dataset}.fake.log",
    conda:
        CONDA_ENV
    params:
        out=fake_out,
        samples=(FAKE or {}).get("samples", 2),
        seed=(FAKE or {}).get("seed", 0),
    shell:
        "qsnn data fake {wildcards.dataset} --out {params.out} --samples {params.samples} --seed {params.seed} > {log} 2>&1"


rule prepare_dataset:
    input:
        prepare_inputs,
    output:
        "results/data/{dataset}.prepared",
    log:
        "results/logs/data/{dataset}.log",
    conda:
        CONDA_ENV
    params:
        root=config["data_root"],
        args=prepare_args,
    shell:
        "qsnn data prepare {wildcards.dataset} --root {params.root} {params.args} > {log} 2>&1 && touch {output}"
