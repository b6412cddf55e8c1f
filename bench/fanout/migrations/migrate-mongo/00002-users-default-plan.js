// The same command as ../ours/00002-users-default-plan.json, through the driver.
module.exports = {
  async up(db) { await db.collection("users").updateMany({ plan: { $exists: false } }, { $set: { plan: "free" } }); },
  async down(db) { await db.collection("users").updateMany({ plan: "free" }, { $unset: { plan: "" } }); },
};
