// The plugin adds `CompiledScripts`: the tables of every reference script linked here as *.eliza
// (Package.swift, target ReferenceTables). This file only gives the target a source of its own.
