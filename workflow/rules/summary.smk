# The experiment plan and results/summary/experiments.csv, which figures, tables and the
# report read. Per-table and per-figure subsets let `snakemake results/figures/fig4.pdf`
# train only the runs Fig. 4 plots.


rule plan:
    input:
        expand("{paper_dir}/table{n}.csv", paper_dir=PAPER_DIR, n=TABLES),
    output:
        "results/summary/plan.json",
    log:
        "results/logs/summary/plan.log",
    conda:
        CONDA_ENV
    params:
        config=CONFIG_JSON,
    shell:
        "qsnn report plan --config-json {params.config:q} --out {output} > {log} 2>&1"


rule summarize:
    input:
        unpack(summary_inputs),
    output:
        report(
            "results/summary/experiments.csv",
            caption="../report/experiments.rst",
            category="Summary",
            labels={"file": "experiments.csv (every table row: ours and published)"},
        ),
    log:
        "results/logs/summary/experiments.log",
    conda:
        CONDA_ENV
    params:
        paper_dir=PAPER_DIR,
        costs=costs_arg,
    shell:
        "qsnn report summarize --plan {input.plan} {params.costs} --runs results/runs"
        " --hardware results/hardware --paper-dir {params.paper_dir} --select all --out {output} > {log} 2>&1"


rule summarize_selection:
    input:
        unpack(summary_inputs),
    output:
        "results/summary/subsets/{selection}.csv",
    log:
        "results/logs/summary/{selection}.log",
    conda:
        CONDA_ENV
    params:
        paper_dir=PAPER_DIR,
        costs=costs_arg,
    shell:
        "qsnn report summarize --plan {input.plan} {params.costs} --runs results/runs"
        " --hardware results/hardware --paper-dir {params.paper_dir} --select {wildcards.selection} --out {output} > {log} 2>&1"
