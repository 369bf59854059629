"""The Helm chart `deploy/helm/los`: its generated values, and the tools that render and check it."""
