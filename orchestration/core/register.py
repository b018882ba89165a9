"""Register of processing (GDPR art. 30) and transparency data, generated from the declarations.

One entry per use case (a processing: its purposes, legal bases, data subjects, data categories,
recipients, retention, security measures) plus what is collected per partner feed and what the
observatory refuses to do, with reasons. Written as JSON (for the portal) and Markdown (to read);
each open-data release's ``disclosure.json`` cites its entry (``registre-des-traitements#<use case>``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from orchestration.core.catalog import ColumnSpec, FeedSpec, feeds, marts, use_cases
from orchestration.core.dcat import catalogue_facts

TRANSPARENCY_FILE = Path(__file__).resolve().parent / "transparency.yaml"
REGISTER_NAME = "registre-des-traitements"
CATEGORY_LABELS = {
    "identifiant_pseudonymise": "identifiants pseudonymisés (agents, équipages)",
    "identifiant_technique": "identifiants techniques des enregistrements",
    "localisation": "localisation des faits",
    "horodatage": "date et heure des faits",
    "nature_fait": "nature des faits (codes)",
    "texte_libre": "textes libres (caviardés ou supprimés à l'ingestion)",
    "caracteristique_personne": "caractéristiques des personnes (âge, sexe, gravité)",
    "mesure": "mesures et comptages",
    "reference": "référentiels (lieux, établissements)",
    "autre": "autres attributs des faits",
}
TREATMENT_LABELS = {
    "keep": "conservé",
    "pseudonymise": "pseudonymisé",
    "generalise": "généralisé",
    "redact": "masqué",
    "drop": "supprimé à l'ingestion",
}


@cache
def transparency() -> dict[str, Any]:
    """Data subjects per feed, refusals with reasons, security measures (``transparency.yaml``)."""
    with TRANSPARENCY_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def column_category(column: ColumnSpec) -> str:
    """The declared category of a column, else one inferred from its declaration."""
    if column.category:
        return column.category
    if column.privacy == "pseudonymise":
        return "identifiant_pseudonymise"
    if column.privacy == "redact":
        return "texte_libre"
    if column.type in ("datetime", "date"):
        return "horodatage"
    if column.restricted or any(part in column.name for part in ("lat", "lon", "adresse", "quartier", "x_", "y_")):
        return "localisation"
    if column.codes:
        return "nature_fait"
    if column.type in ("int", "float"):
        return "mesure"
    return "autre"


def feed_entry(spec: FeedSpec) -> dict[str, Any]:
    """What is collected from one partner feed, how each category is treated, how long it is kept."""
    categories: dict[str, set[str]] = {}
    for column in spec.columns:
        categories.setdefault(column_category(column), set()).add(TREATMENT_LABELS[column.privacy])
    return {
        "feed": spec.name,
        "title": spec.title,
        "partner": spec.owner,
        "legal_basis": " ".join(spec.legal_basis.split()),
        "data_subjects": transparency()["data_subjects"][spec.name],
        "data_categories": [
            {"category": c, "label": CATEGORY_LABELS[c], "treatments": sorted(t)} for c, t in sorted(categories.items())
        ],
        "retention_days": dict(spec.retention),
        "use_cases": sorted({m.use_case for m in marts().values() if spec.name in m.source_feeds}),
        "not_published": " ".join(transparency().get("not_published", {}).get(spec.name, "").split()) or None,
    }


def build_register() -> dict[str, Any]:
    """The whole register: controller, one entry per use case, feeds, refusals."""
    facts, declared = catalogue_facts(), transparency()
    feed_entries = {name: feed_entry(spec) for name, spec in feeds().items()}
    entries = []
    for uc in use_cases().values():
        used = sorted({f for m in uc.marts for f in m.source_feeds})
        recipients = [f"rôle « {role} » (services de la Ville)" for role in uc.allowed_roles]
        if uc.open_data:
            recipients.append("public : données ouvertes agrégées, protégées par le secret statistique")
        own = declared.get("without_feeds", {}).get(uc.name, {})
        entries.append({
            "id": uc.name,
            "anchor": f"{REGISTER_NAME}#{uc.name}",
            "name": uc.title,
            "owner": uc.owner,
            "purposes": [uc.purpose, *uc.decision_questions],
            "legal_bases": sorted({feed_entries[f]["legal_basis"] for f in used} | ({" ".join(own["legal_basis"].split())} if own else set())),
            "data_subjects": sorted({feed_entries[f]["data_subjects"] for f in used} | ({own["data_subjects"]} if own else set())),
            "data_categories": sorted({c["label"] for f in used for c in feed_entries[f]["data_categories"]} | set(own.get("data_categories", []))),
            "recipients": recipients,
            "transfers_outside_eu": "aucun",
            "retention": {
                "use_case_days": uc.retention_days,
                "feeds": {f: feed_entries[f]["retention_days"] for f in used},
            },
            "security_measures": declared["security_measures"],
            "feeds": used,
            "open_datasets": [d.dataset for d in uc.open_data],
            "open_data_withheld": uc.open_data_withheld or None,
        })
    return {
        "name": REGISTER_NAME,
        "title": "Registre des activités de traitement (RGPD, article 30)",
        "controller": {
            "name": facts["publisher"]["name"],
            "siren": facts["publisher"]["siren"],
            "contact": facts["contact"]["url"],
            "data_protection_officer": facts["data_protection_officer"],
        },
        "processing": entries,
        "feeds": list(feed_entries.values()),
        "refusals": declared["refusals"],
        "generated_from": ["orchestration/core/catalog/feeds/*.yaml", "orchestration/core/catalog/use_cases/*.yaml",
                           "orchestration/core/transparency.yaml", "orchestration/core/opendata/catalogue.yaml"],
    }


def register_markdown(register: dict[str, Any]) -> str:
    """The register as Markdown, one section per processing, then feeds and refusals."""
    c = register["controller"]
    lines = [f"# {register['title']}", "", f"Responsable du traitement : {c['name']} (SIREN {c['siren']}), "
             f"contact {c['contact']} ; {c['data_protection_officer']['name']} : {c['data_protection_officer']['url']}.", ""]
    for e in register["processing"]:
        lines += [f"## {e['name']} {{#{e['id']}}}", "", f"- Service : {e['owner']}",
                  "- Finalités : " + " ; ".join(e["purposes"]),
                  "- Bases légales : " + " ; ".join(e["legal_bases"]),
                  "- Personnes concernées : " + " ; ".join(e["data_subjects"]),
                  "- Catégories de données : " + ", ".join(e["data_categories"]),
                  "- Destinataires : " + " ; ".join(e["recipients"]),
                  f"- Conservation : {e['retention']['use_case_days']} jours pour les résultats ; par flux : "
                  + " ; ".join(f"{f} : " + ", ".join(f"{k.removesuffix('_days')} {v} j" for k, v in r.items())
                               for f, r in e["retention"]["feeds"].items()),
                  "- Transferts hors UE : " + e["transfers_outside_eu"],
                  "- Mesures de sécurité : " + " ; ".join(e["security_measures"]), ""]
        if e["open_data_withheld"]:
            lines += [f"- Données ouvertes {'non publiées' if e['open_datasets'] else ': aucune'}. {e['open_data_withheld']}", ""]
    lines += ["## Données collectées par flux", ""]
    for f in register["feeds"]:
        cats = ", ".join(f"{c['label']} ({'/'.join(c['treatments'])})" for c in f["data_categories"])
        lines.append(f"- **{f['title']}** ({f['partner']}) : {cats} ; cas d'usage : {', '.join(f['use_cases']) or 'aucun'}."
                     + (f" Non publié : {f['not_published']}" if f["not_published"] else ""))
    lines += ["", "## Ce que l'observatoire refuse de faire", ""]
    for r in register["refusals"]:
        lines.append(f"- **{r['title']}** : {' '.join(r['reason'].split())} (garantie : {r['enforced_by']}).")
    return "\n".join(lines) + "\n"


def write_register(folder: Path) -> dict[str, Path]:
    """Write ``registre-des-traitements.json`` and ``.md`` into ``folder`` (atomically)."""
    register = build_register()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / f"{REGISTER_NAME}.json", "markdown": folder / f"{REGISTER_NAME}.md"}
    texts = {"json": json.dumps(register, ensure_ascii=False, indent=2), "markdown": register_markdown(register)}
    for kind, path in paths.items():
        if path.exists() and path.read_text(encoding="utf-8") == texts[kind]:
            continue  # unchanged declarations: the file stays byte for byte (and keeps its date)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(texts[kind], encoding="utf-8")
        tmp.replace(path)
    return paths
