"""Two public pages generated from the declarations, never written by hand.

- ``/transparence``: what the observatory collects, from which partner, for which use case, how
  long it is kept, what it does not publish, and what it refuses to do, with reasons;
- ``/registre-des-traitements``: the register of processing (GDPR art. 30), one section per use
  case (anchor ``#<use case>``, the entry each open-data release cites), and the file to download.

Both come from :func:`orchestration.core.register.build_register` (feed and use-case declarations,
``transparency.yaml``, ``opendata/catalogue.yaml``): they need no lake and show the same text as
the ``registre-des-traitements.json`` / ``.md`` files the pipeline writes beside the open data.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from apps.portail.dataset_page import note
from apps.portail.dataset_view import REGISTER_PAGE, base_url
from orchestration.core.catalog import open_datasets, use_cases
from orchestration.core.register import REGISTER_NAME, build_register, register_markdown

# Retention keys of a feed declaration (``retention:``), in French.
RETENTION_LABELS = {"landing_days": "fichiers reçus", "bronze_days": "données brutes pseudonymisées"}


def _days(days: int) -> str:
    if days % 365 == 0 and days >= 365:
        years = days // 365
        return f"{years} an{'s' if years > 1 else ''}"
    return f"{days} jours"


def retention_text(retention: dict[str, int]) -> str:
    """``{"landing_days": 90, "bronze_days": 1825}`` -> ``"fichiers reçus : 90 jours ; ... : 5 ans"``."""
    return " ; ".join(f"{RETENTION_LABELS.get(k, k.removesuffix('_days'))} : {_days(int(v))}" for k, v in retention.items())


def _use_case_titles(names: list[str]) -> str:
    titles = {uc.name: uc.title for uc in use_cases().values()}
    return ", ".join(titles.get(n, n) for n in names) or "aucun cas d'usage pour l'instant"


def render_feed(feed: dict[str, Any]) -> None:
    """One partner feed: who, about whom, which data and how treated, for what, how long."""
    with st.expander(f"{feed['title']} — {feed['partner']}"):
        st.markdown(f"**Personnes concernées** : {feed['data_subjects']}")
        categories = "\n".join(f"  - {c['label']} : {', '.join(c['treatments'])}" for c in feed["data_categories"])
        st.markdown(f"**Données reçues et ce qu'on en fait** :\n{categories}")
        st.markdown(f"**Utilisé pour** : {_use_case_titles(feed['use_cases'])}")
        st.markdown(f"**Durée de conservation** : {retention_text(feed['retention_days'])}")
        if feed.get("not_published"):
            st.markdown(f"**Non publié** : {feed['not_published']}")


def render_transparency() -> None:
    """The citizens' transparency page."""
    register = build_register()
    st.title("Transparence : ce que fait l'observatoire, et ce qu'il refuse de faire")
    st.write(
        "L'observatoire de la tranquillité publique reçoit des données de services de la Ville et de "
        "partenaires, les agrège par zone et par période, et publie des statistiques protégées par le "
        "secret statistique. Cette page est générée à partir des déclarations qui pilotent le "
        "traitement : elle dit exactement ce qui est collecté et conservé."
    )

    st.header("Ce que l'observatoire refuse de faire")
    for refusal in register["refusals"]:
        st.subheader(refusal["title"], anchor=refusal["id"])
        st.markdown(" ".join(str(refusal["reason"]).split()))
        note(f"Garantie : {refusal['enforced_by']}.")

    st.header("Ce qui est collecté, auprès de qui")
    st.write("Un flux par partenaire ; aucune image, aucun son, aucun nom, aucun message de réseau social.")
    for feed in register["feeds"]:
        render_feed(feed)

    st.header("Pour quoi faire")
    datasets = open_datasets()
    for entry in register["processing"]:
        with st.expander(entry["name"]):
            st.markdown("**Finalité** : " + entry["purposes"][0])
            st.markdown(f"**Résultats conservés** : {_days(int(entry['retention']['use_case_days']))}")
            if entry["open_datasets"]:
                links = "\n".join(f"- [{datasets[d].title}](/{d})" for d in entry["open_datasets"] if d in datasets)
                st.markdown(f"**Données ouvertes** :\n{links}")
            if entry["open_data_withheld"]:
                st.markdown(f"**{'Non publié' if entry['open_datasets'] else 'Aucune donnée ouverte'}** : {entry['open_data_withheld']}")
            st.markdown(f"[Fiche au registre des traitements](/{REGISTER_PAGE}#{entry['id']})")

    st.header("Vos droits")
    controller = register["controller"]
    st.markdown(
        f"Responsable du traitement : {controller['name']}. Pour exercer vos droits ou poser une question : "
        f"[{controller['data_protection_officer']['name']}]({controller['data_protection_officer']['url']}). "
        f"Le détail est au [registre des traitements](/{REGISTER_PAGE})."
    )


def render_register() -> None:
    """The register of processing (GDPR art. 30), with the file to download."""
    register = build_register()
    st.title(register["title"])
    controller = register["controller"]
    st.markdown(
        f"- **Responsable du traitement** : {controller['name']} (SIREN {controller['siren']})\n"
        f"- **Contact** : {controller['contact']}\n"
        f"- **{controller['data_protection_officer']['name']}** : {controller['data_protection_officer']['url']}"
    )
    for label, file_name, mime, data in (
        ("Télécharger le registre (JSON)", f"{REGISTER_NAME}.json", "application/json",
         json.dumps(register, ensure_ascii=False, indent=2).encode("utf-8")),
        ("Télécharger le registre (Markdown)", f"{REGISTER_NAME}.md", "text/markdown",
         register_markdown(register).encode("utf-8")),
    ):  # fmt: skip
        st.download_button(
            label,
            data=data,
            file_name=file_name,
            mime=mime,
            key=f"dl-{file_name}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
    st.markdown(
        f"Adresses stables : [{REGISTER_NAME}.json]({base_url()}/{REGISTER_NAME}.json) · "
        f"[{REGISTER_NAME}.md]({base_url()}/{REGISTER_NAME}.md)"
    )
    for entry in register["processing"]:
        st.header(entry["name"], anchor=entry["id"])
        retention = entry["retention"]
        feeds = "; ".join(f"{f} — {retention_text(r)}" for f, r in retention["feeds"].items())
        lines = [
            f"**Service** : {entry['owner']}",
            "**Finalités** : " + " ; ".join(entry["purposes"]),
            "**Bases légales** : " + " ; ".join(entry["legal_bases"]),
            "**Personnes concernées** : " + " ; ".join(entry["data_subjects"]),
            "**Catégories de données** : " + ", ".join(entry["data_categories"]),
            "**Destinataires** : " + " ; ".join(entry["recipients"]),
            "**Transferts hors UE** : " + entry["transfers_outside_eu"],
            f"**Conservation** : résultats {_days(int(retention['use_case_days']))}" + (f" ; par flux : {feeds}" if feeds else ""),
            "**Mesures de sécurité** : " + " ; ".join(entry["security_measures"]),
        ]
        if entry["open_datasets"]:
            lines.append("**Données ouvertes** : " + ", ".join(f"[{d}](/{d})" for d in entry["open_datasets"]))
        if entry["open_data_withheld"]:
            heading = "Données ouvertes non publiées" if entry["open_datasets"] else "Données ouvertes : aucune"
            lines.append(f"**{heading}** : {entry['open_data_withheld']}")
        st.markdown("\n".join(f"- {line}" for line in lines))


def _named(function: Any, name: str) -> Any:
    function.__name__ = name
    return function


def pages() -> list[Any]:
    """The transparency page and the register, both public."""
    return [
        st.Page(_named(lambda: render_transparency(), "transparence"), title="Transparence",
                url_path="transparence", icon=":material/visibility:"),
        st.Page(_named(lambda: render_register(), "registre"), title="Registre des traitements",
                url_path=REGISTER_PAGE, icon=":material/policy:"),
    ]  # fmt: skip
