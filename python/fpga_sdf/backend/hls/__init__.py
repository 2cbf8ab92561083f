"""Vitis HLS backend: header-only C++ templates (`templates/`) plus the Python helpers that
emit their constants (`tables`) and check them against the reference kernels by g++
C-simulation (`csim`)."""
