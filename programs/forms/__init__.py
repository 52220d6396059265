"""Application forms of every edition: schemas as data, validation, eligibility, Excel intake,
Word export, and example and synthetic forms."""

from programs.forms.docx_export import export_docx
from programs.forms.eligibility import CriterionResult, EligibilityReport, eligibility
from programs.forms.examples import example_annual_report, example_form, synthetic_form
from programs.forms.issues import FormIssue, FormLoadError, FormValidationError
from programs.forms.loading import load_form_file, load_form_text
from programs.forms.schema import (
    Field,
    FormSchema,
    SchemaError,
    Section,
    UnknownForm,
    annual_report_schema,
    available_forms,
    form_schema,
    taxonomies,
)
from programs.forms.uscc import check_uscc, make_uscc
from programs.forms.validate import (
    clean_annual_report,
    clean_form,
    parse_form,
    to_jsonable,
    validate_annual_report,
    validate_form,
)
from programs.forms.xlsx import read_form_xlsx, write_form_xlsx, write_template_xlsx

__all__ = [
    "CriterionResult",
    "EligibilityReport",
    "Field",
    "FormIssue",
    "FormLoadError",
    "FormSchema",
    "FormValidationError",
    "SchemaError",
    "Section",
    "UnknownForm",
    "annual_report_schema",
    "available_forms",
    "check_uscc",
    "clean_annual_report",
    "clean_form",
    "eligibility",
    "example_annual_report",
    "example_form",
    "export_docx",
    "form_schema",
    "load_form_file",
    "load_form_text",
    "make_uscc",
    "parse_form",
    "read_form_xlsx",
    "synthetic_form",
    "taxonomies",
    "to_jsonable",
    "validate_annual_report",
    "validate_form",
    "write_form_xlsx",
    "write_template_xlsx",
]
