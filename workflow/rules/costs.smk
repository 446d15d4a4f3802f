# Full-scale costs (Params, SOPs, S-ACE): exact, from the models themselves, no training.


rule paper_costs:
    output:
        "results/costs/paper_costs.csv",
    log:
        "results/logs/costs/paper_costs.log",
    conda:
        CONDA_ENV
    shell:
        "qsnn paper-costs --out {output} > {log} 2>&1"


rule plan_costs:
    input:
        "results/summary/plan.json",
    output:
        "results/costs/plan_costs.csv",
    log:
        "results/logs/costs/plan_costs.log",
    conda:
        CONDA_ENV
    shell:
        "qsnn report costs --plan {input} --out {output} > {log} 2>&1"
