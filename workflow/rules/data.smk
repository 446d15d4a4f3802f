# Datasets: download + verify + extract (idempotent); the stand-ins are generated offline.


rule prepare_dataset:
    output:
        "results/data/{dataset}.prepared",
    conda:
        CONDA_ENV
    log:
        "results/logs/data/{dataset}.log",
    params:
        root=config["data_root"],
    shell:
        "qsnn data prepare {wildcards.dataset} --root {params.root} > {log} 2>&1 && touch {output}"
