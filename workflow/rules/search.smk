# Allocation searches (`search:` in the config; qsnn/search.py): every allocation of a search is an
# ordinary run of rule `train` (same run id, so a run a table also trains is trained once). Halving
# decides each round's runs from the previous round's results, so each round's selection is a
# checkpoint: round r's record names the runs of round r+1, and the DAG grows once it exists.
# Outputs: results/search/{name}.csv, results/tables/search-{name}.tex (+ .html), Fig. 7.
from qsnn.search import figure_search, round_files, round_inputs, summary_inputs

# The caption of Fig. 7 states, from the search CSV, whether spike bits beat time steps; it is
# written next to the figure, and the report reads it from there (an absolute path: the rules'
# folder is not the working directory).
FIG7_CAPTION = str(Path("results/figures/fig7.rst").resolve())


checkpoint search_round:
    input:
        lambda wildcards: round_inputs(
            PLAN.config, wildcards.name, int(wildcards.round), search_round_file
        ),
    output:
        "results/search/{name}/round{round}.json",
    log:
        "results/logs/search/{name}.round{round}.log",
    wildcard_constraints:
        name=r"[a-z0-9][a-z0-9-]*",
        round=r"\d+",
    conda:
        CONDA_ENV
    params:
        config=CONFIG_JSON,
        previous=lambda wildcards: (
            f"--previous results/search/{wildcards.name}/round{int(wildcards.round) - 1}.json"
            if int(wildcards.round) > 1
            else ""
        ),
    shell:
        "qsnn search select --config-json {params.config:q} --name {wildcards.name} --round {wildcards.round}"
        " {params.previous} --runs results/runs --out {output} > {log} 2>&1"


rule search_summary:
    input:
        lambda wildcards: summary_inputs(PLAN.config, wildcards.name, search_round_file),
    output:
        report(
            "results/search/{name}.csv",
            caption="../report/search.rst",
            category="Search",
            labels={"search": "{name}"},
        ),
    log:
        "results/logs/search/{name}.log",
    wildcard_constraints:
        name=r"[a-z0-9][a-z0-9-]*",
    conda:
        CONDA_ENV
    params:
        config=CONFIG_JSON,
        rounds=lambda wildcards: " ".join(round_files(PLAN.config, wildcards.name)),
    shell:
        "qsnn search summarize --config-json {params.config:q} --name {wildcards.name} --rounds {params.rounds}"
        " --runs results/runs --out {output} > {log} 2>&1"


rule search_table:
    input:
        template=f"{WORKFLOW_DIR}/tables/search.tex.j2",
        search="results/search/{name}.csv",
    output:
        tex="results/tables/search-{name}.tex",
        html=report(
            "results/tables/search-{name}.html",
            caption="../report/search.rst",
            category="Tables",
            labels={"table": "search {name}"},
        ),
    log:
        "results/logs/tables/search-{name}.log",
    wildcard_constraints:
        name=r"[a-z0-9][a-z0-9-]*",
    conda:
        CONDA_ENV
    params:
        profile=PROFILE,
        templates=lambda wildcards, input: Path(input.template).parent,
    shell:
        "qsnn search table --search {input.search} --profile {params.profile} --templates {params.templates}"
        " --out {output.tex} --html {output.html} > {log} 2>&1"


# Fig. 7 draws the first search of the config; like figures/fig1-6.py its script only reads results.
rule search_figure:
    input:
        script=f"{WORKFLOW_DIR}/figures/fig7.py",
        experiments=lambda wildcards: f"results/search/{figure_search(PLAN.config)}.csv",
    output:
        pdf="results/figures/fig7.pdf",
        # The report shows the PNG, as for Figs. 1-6 (a browser shows an image inline).
        png=report(
            "results/figures/fig7.png",
            caption=FIG7_CAPTION,
            category="Figures",
            labels={"figure": "Fig. 7"},
        ),
        caption="results/figures/fig7.rst",
    log:
        "results/logs/figures/fig7.log",
    conda:
        CONDA_ENV
    params:
        profile=PROFILE,
    shell:
        "(python {input.script} --experiments {input.experiments} --runs results/runs --hardware results/hardware"
        " --profile {params.profile} --out {output.pdf} && qsnn search caption --search {input.experiments}"
        " --profile {params.profile} --out {output.caption}) > {log} 2>&1"
