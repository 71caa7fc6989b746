"""The declared policy: one version (model, its validation), a file or folder of versions (history), the
Art. 30 field catalogue and completeness (register), the pages' sentences about it (narrative), and its
fideslang export (fides)."""
