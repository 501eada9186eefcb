"""The permission-item catalogue (事项目录 / 办事指南), its published versions and public guide."""
