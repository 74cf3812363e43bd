return await Codis.Admin.CodisAdminCli.RunAsync(args);
