# One rule for every table (Jinja2 templates tables/tableN.tex.j2 via `qsnn render table`), and
# results/paper.tex that inputs all tables and figures.


rule table:
    input:
        template=f"{WORKFLOW_DIR}/tables/table{{n}}.tex.j2",
        experiments="results/summary/subsets/table{n}.csv",
        # Table 4's fps and latency come from the accelerator model (or board measurements).
        hardware=lambda wildcards: (
            ["results/hardware/accelerator.csv"] if wildcards.n == "4" else []
        ),
    output:
        tex="results/tables/table{n}.tex",
        # The same cells as HTML, for Snakemake's report (`snakemake --report results/report.html`).
        html=report(
            "results/tables/table{n}.html",
            caption="../report/tables.rst",
            category="Tables",
            labels={"table": "Table {n}"},
        ),
    log:
        "results/logs/tables/table{n}.log",
    wildcard_constraints:
        n=r"[1-5]",
    conda:
        CONDA_ENV
    params:
        profile=PROFILE,
        # The templates the DAG tracks (next to the Snakefile), not another install's copy.
        templates=lambda wildcards, input: Path(input.template).parent,
    shell:
        "qsnn render table {wildcards.n} --templates {params.templates} --experiments {input.experiments}"
        " --hardware results/hardware --profile {params.profile} --out {output.tex} --html {output.html} > {log} 2>&1"


rule paper_tex:
    input:
        template=f"{WORKFLOW_DIR}/tables/paper.tex.j2",
        tables=expand("results/tables/table{n}.tex", n=OUTPUTS["tables"]),
        figures=expand("results/figures/fig{n}.pdf", n=OUTPUTS["figures"]),
    output:
        "results/paper.tex",
    log:
        "results/logs/tables/paper.log",
    conda:
        CONDA_ENV
    params:
        profile=PROFILE,
        # The templates the DAG tracks (next to the Snakefile), not another install's copy.
        templates=lambda wildcards, input: Path(input.template).parent,
        tables=",".join(map(str, OUTPUTS["tables"])),
        figures=",".join(map(str, OUTPUTS["figures"])),
    shell:
        "qsnn render paper --templates {params.templates} --profile {params.profile} --tables {params.tables}"
        " --figures {params.figures} --out {output} > {log} 2>&1"
