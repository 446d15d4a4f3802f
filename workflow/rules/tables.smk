# One rule per table (Jinja2 templates tables/tableN.tex.j2 via `qsnn render table`), and
# results/paper.tex that inputs all tables and figures.

TABLE_CMD = (
    "qsnn render table {params.n} --experiments {input.experiments} --hardware results/hardware"
    " --profile {params.profile} --out {output} > {log} 2>&1"
)


rule table1:
    input:
        template="tables/table1.tex.j2",
        experiments="results/summary/subsets/table1.csv",
    output:
        report("results/tables/table1.tex", caption="../report/tables.rst", category="Tables"),
    conda:
        CONDA_ENV
    log:
        "results/logs/tables/table1.log",
    params:
        n=1,
        profile=PROFILE,
    shell:
        TABLE_CMD


rule table2:
    input:
        template="tables/table2.tex.j2",
        experiments="results/summary/subsets/table2.csv",
    output:
        report("results/tables/table2.tex", caption="../report/tables.rst", category="Tables"),
    conda:
        CONDA_ENV
    log:
        "results/logs/tables/table2.log",
    params:
        n=2,
        profile=PROFILE,
    shell:
        TABLE_CMD


rule table3:
    input:
        template="tables/table3.tex.j2",
        experiments="results/summary/subsets/table3.csv",
    output:
        report("results/tables/table3.tex", caption="../report/tables.rst", category="Tables"),
    conda:
        CONDA_ENV
    log:
        "results/logs/tables/table3.log",
    params:
        n=3,
        profile=PROFILE,
    shell:
        TABLE_CMD


rule table4:
    input:
        template="tables/table4.tex.j2",
        experiments="results/summary/subsets/table4.csv",
        accelerator="results/hardware/accelerator.csv",
    output:
        report("results/tables/table4.tex", caption="../report/tables.rst", category="Tables"),
    conda:
        CONDA_ENV
    log:
        "results/logs/tables/table4.log",
    params:
        n=4,
        profile=PROFILE,
    shell:
        TABLE_CMD


rule table5:
    input:
        template="tables/table5.tex.j2",
        experiments="results/summary/subsets/table5.csv",
    output:
        report("results/tables/table5.tex", caption="../report/tables.rst", category="Tables"),
    conda:
        CONDA_ENV
    log:
        "results/logs/tables/table5.log",
    params:
        n=5,
        profile=PROFILE,
    shell:
        TABLE_CMD


rule paper_tex:
    input:
        tables=expand("results/tables/table{n}.tex", n=TABLES),
        figures=expand("results/figures/fig{n}.pdf", n=FIGURES),
    output:
        "results/paper.tex",
    conda:
        CONDA_ENV
    log:
        "results/logs/tables/paper.log",
    params:
        profile=PROFILE,
    shell:
        "qsnn render paper --profile {params.profile} --out {output} > {log} 2>&1"
